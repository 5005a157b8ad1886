"""`framewise-release`: runs the release service."""


def main() -> None:
    # Imported here, not at module level: the frame-formatting workers are spawned
    # processes that import this module again, and must not load the server stack.
    from services.release.app import SERVICE_NAME, build_server
    from shared.entrypoint import main as service_main

    service_main(SERVICE_NAME, build_server)


if __name__ == "__main__":
    main()
