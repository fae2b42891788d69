"""Write the API's OpenAPI schema to frontend/openapi.json (the typed web client is made from it).

`--check` writes nothing and exits 1 when the committed file differs from the live schema.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "frontend" / "openapi.json"


def render() -> str:
    if str(ROOT) not in sys.path:  # run as a plain script from a checkout
        sys.path.insert(0, str(ROOT))
    from service.app import create_app

    return json.dumps(create_app().openapi(), ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(
                f"{args.out} is out of date: run scripts/export_openapi.py, "
                "then `npm run gen:api` in frontend/",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
