"""`framewise-release`: runs the release service."""

from services.release.app import SERVICE_NAME, build_server
from shared.entrypoint import main as service_main


def main() -> None:
    service_main(SERVICE_NAME, build_server)


if __name__ == "__main__":
    main()
