"""Screenshots of the report and of an alert email, as a browser shows them, at a desktop
width (1280 px) and a phone's (390 px): the way to look at a change to either template.

    python scripts/screenshots.py [OUT_DIR]     (default: ./screenshots)

Runs the demo into a scratch folder (offline, on the bundled corpus), writes the report
on the demo's whole span and the demo's alert emails, and has headless Chromium (Debian
package `chromium`) take each page at both widths. Nothing outside OUT_DIR is touched."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTHS = (1280, 390)
HEIGHT = 2400  # enough for the first screens of each page; the rest scrolls


def main(out: Path) -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        print("error: no headless Chromium here (apt install chromium)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        newsmon = [sys.executable, "-m", "pipeline"]
        db = str(work / "demo.duckdb")
        subprocess.run([*newsmon, "demo", "--db", db, "--mail-dir", str(work / "mail"), "--no-progress"],
                       check=True, capture_output=True, cwd=work)
        report = work / "report.html"
        subprocess.run([*newsmon, "report", "--db", db, "--since", "2019-01-01", "--out", str(report)],
                       check=True, capture_output=True)
        mails = sorted((work / "mail").glob("*.html"))
        pages = {"report": report, **({"alert": mails[0]} if mails else {})}
        for name, page in pages.items():
            for width in WIDTHS:
                shot = out / f"{name}-{width}.png"
                subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--hide-scrollbars", "--disable-background-networking",
                                "--disable-component-update", "--disable-sync",
                                f"--user-data-dir={work / 'profile'}", f"--window-size={width},{HEIGHT}",
                                f"--screenshot={shot}", page.as_uri()],
                               check=True, capture_output=True, timeout=120)
                print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")))
