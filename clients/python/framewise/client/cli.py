"""`framewise`: the command line over the SDK.

    framewise health
    framewise datasets create street --task-type bboxes --category 1:car
    framewise samples upload street ./photos --url-prefix https://cdn.example/photos
    framewise labels import street ./labels
    framewise releases create street v1 --wait
    framewise releases download <release-id> -o street-v1.json

Tables by default, `--json` for scripts. Failures print one line naming what went
wrong (and the bad field) and exit non-zero: 1 the request failed, 2 bad usage, 3 a
service could not be reached in time. Addresses, token and TLS come from FRAMEWISE_*;
the --tls-* options override the TLS variables.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from framewise.client.commands import datasets, health, interpolate, labels, releases, samples
from framewise.client.config import TlsConfig, tls_from_env
from framewise.client.errors import (
    DeadlineExceeded,
    FramewiseError,
    InvalidArgument,
    Unavailable,
)
from framewise.client.output import Output
from framewise.client.sync import Client

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130

COMMANDS = (health, datasets, samples, labels, releases, interpolate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framewise", description="Command line of the Framewise labeling platform.",
        epilog="Service addresses, token and TLS come from FRAMEWISE_* variables "
               "(see the README).")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--timeout", type=float, default=None,
                        help="deadline of each call in seconds (default: 30)")
    tls = parser.add_argument_group("TLS (default: $FRAMEWISE_TLS_*; plaintext if unset)")
    tls.add_argument("--tls-ca", metavar="PEM", help="CA bundle the services' certificates "
                     "are checked against (turns TLS on)")
    tls.add_argument("--tls-cert", metavar="PEM",
                     help="client certificate, for a suite that runs mutual TLS")
    tls.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    tls.add_argument("--tls-server-name", metavar="NAME",
                     help="name the services' certificate must carry, when the address "
                          "does not (e.g. through kubectl port-forward)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(commands)
    return parser


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe(error: FramewiseError) -> str:
    """`not found: sample '...' not found`, `invalid argument: dataset.name: ...`."""
    kind = error.code.lower().replace("_", " ")
    if isinstance(error, InvalidArgument) and error.field_violations:
        return one_line(f"{kind}: " + "; ".join(f"{v.field}: {v.description}"
                                                for v in error.field_violations))
    return one_line(f"{kind}: {error.message}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Output(as_json=args.json)
    try:
        tls = _tls(args)
    except ValueError as error:
        out.error(one_line(str(error)))
        return EXIT_USAGE
    try:
        with Client(timeout=args.timeout, tls=tls) as client:
            return int(args.handler(client, out, args) or 0)
    except (Unavailable, DeadlineExceeded) as error:
        out.error(describe(error))
        return EXIT_UNAVAILABLE
    except FramewiseError as error:
        out.error(describe(error))
        return EXIT_FAILED
    except TimeoutError as error:
        out.error(one_line(f"timeout: {error}"))
        return EXIT_FAILED
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        out.error(one_line(f"{where}{error.strerror or error}"))
        return EXIT_FAILED
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        if os.environ.get("FRAMEWISE_DEBUG"):
            traceback.print_exc()
        out.error(one_line(f"unexpected {type(error).__name__}: {error} "
                           "(FRAMEWISE_DEBUG=1 shows the traceback)"))
        return EXIT_FAILED


def _tls(args: argparse.Namespace) -> TlsConfig | bool:
    """The --tls-* options over FRAMEWISE_TLS_*; False: plaintext."""
    return tls_from_env(ca=args.tls_ca, cert=args.tls_cert, key=args.tls_key,
                        server_name=args.tls_server_name) or False


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
