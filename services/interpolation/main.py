"""`framewise-interpolation`: runs the interpolation service."""

from services.interpolation.app import SERVICE_NAME, build_server
from shared.entrypoint import main as service_main


def main() -> None:
    service_main(SERVICE_NAME, build_server, has_database=False)


if __name__ == "__main__":
    main()
