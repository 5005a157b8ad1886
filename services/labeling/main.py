"""`framewise-labeling`: runs the labeling service."""

from services.labeling.app import SERVICE_NAME, build_server
from shared.entrypoint import main as service_main


def main() -> None:
    service_main(SERVICE_NAME, build_server)


if __name__ == "__main__":
    main()
