"""The leadership report in a real browser and a real HTML5 parser (issue #17).

Run by `make test` as: python tests/report_check.py target/debug/retention

It generates a small agency, publishes it (the run draws WAREHOUSE/current/report.html),
then:

- parses the page with html5lib in strict mode: any parse error (a stray tag, a bad
  attribute, an unclosed element) fails;
- checks that no element names an external resource (src, href other than #anchors,
  link, script, url(...));
- opens it in headless Chromium (Debian's package, installed by the Makefile) with the
  network closed, dumps the DOM it built and checks that every section's and chart's
  title is in it and every chart is an <svg> element (the page has no script, so this
  checks that Chromium read the page whole, not what a script would add);
- prints it to PDF (several pages);
- takes a screenshot of the page as a phone and as a desktop screen and checks that it
  is not blank: many colours, and ink on a fair share of the pixels.

Exit 1 on any failure.
"""

import html
import html.parser
import os
import subprocess
import sys
import tempfile

import html5lib
from PIL import Image

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


class Outline(html.parser.HTMLParser):
    """Section titles (h2, h3), chart titles (svg > title), and external references."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.titles = []
        self.charts = []
        self.external = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        for name, value in attrs:
            if name in ("src", "srcset", "data", "action", "background", "poster"):
                self.external.append(f"<{tag} {name}={value}>")
            if name == "href" and not (value or "").startswith("#"):
                self.external.append(f"<{tag} href={value}>")
            if name == "style" and "url(" in (value or ""):
                self.external.append(f"<{tag} style={value}>")
        if tag in ("script", "link", "iframe", "object", "embed", "img"):
            self.external.append(f"<{tag}>")

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if not self.stack or not data.strip():
            return
        if self.stack[-1] in ("h2", "h3"):
            self.titles.append(data.strip())
        if self.stack[-1] == "title" and "svg" in self.stack:
            self.charts.append(data.strip())
        if self.stack[-1] == "style" and ("url(" in data or "@import" in data):
            self.external.append("a url() or @import in <style>")


def chromium(page, *args, out=None):
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, f"file://{page}"],
            capture_output=True, text=True, timeout=120, cwd=out)
    check(result.returncode == 0, f"chromium {args} exited {result.returncode}: {result.stderr[-800:]}")
    return result.stdout


def not_blank(png, what):
    image = Image.open(png).convert("RGB")
    width, height = image.size
    small = image.resize((width // 4, height // 4))
    pixels = list(small.get_flattened_data() if hasattr(small, "get_flattened_data") else small.getdata())
    colours = len(set(pixels))
    ink = sum(1 for p in pixels if sum(p) < 600) / len(pixels)
    print(f"{what}: {width}x{height}, {colours} colours, ink on {ink:.1%} of the pixels")
    check(colours >= 50, f"{what}: only {colours} colours: a blank page?")
    check(ink >= 0.03, f"{what}: ink on only {ink:.1%} of the pixels: a blank page?")


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        inbox, warehouse = os.path.join(tmp, "inbox"), os.path.join(tmp, "warehouse")
        env = dict(os.environ, RUST_LOG="warn")
        subprocess.run([binary, "generate", "--workers", "300", "--years", "4", "--offices", "6",
                        "--seed", "5", "--as-of", "2025-06-17", "--out", inbox],
                       check=True, capture_output=True, env=env)
        run = subprocess.run([binary, "run", "--inbox", inbox, "--warehouse", warehouse,
                              "--as-of", "2025-06-17"], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            print(run.stderr)
            sys.exit(1)
        page = os.path.join(warehouse, "current", "report.html")
        text = open(page, encoding="utf-8").read()

        # An HTML5 parser, strict: every parse error is a failure.
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            parser.parse(text)
        except html5lib.html5parser.ParseError as error:
            failures.append(f"report.html is not valid HTML5: {error}")

        outline = Outline()
        outline.feed(text)
        check(not outline.external, f"external references: {outline.external}")
        check(len(outline.charts) == 9, f"9 charts, found {len(outline.charts)}: {outline.charts}")
        check(len(outline.titles) >= 14, f"section and heat-table titles: {outline.titles}")

        # Chromium lays the page out: every title is in the DOM it built.
        dom = chromium(page, "--dump-dom", "--virtual-time-budget=3000")
        for title in outline.titles + outline.charts:
            check(title in html.unescape(dom), f"{title!r} is not in Chromium's DOM")
        check(dom.count("<svg") == 9, f"Chromium's DOM has {dom.count('<svg')} svg elements")

        # Printable: Chromium prints it to PDF, several pages.
        pdf = os.path.join(tmp, "report.pdf")
        chromium(page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", out=tmp)
        data = open(pdf, "rb").read() if os.path.exists(pdf) else b""
        pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
        print(f"print: {len(data)} bytes of PDF, {pages} pages")
        check(data.startswith(b"%PDF") and pages >= 3, f"printing gave {pages} pages")

        for (what, size) in [("desktop", "1200,4000"), ("phone", "390,3000")]:
            png = os.path.join(tmp, f"{what}.png")
            chromium(page, f"--window-size={size}", f"--screenshot={png}", out=tmp)
            check(os.path.exists(png), f"no {what} screenshot")
            if os.path.exists(png):
                not_blank(png, what)

    if failures:
        print("report check: FAILED")
        for f in failures:
            print("  -", f)
        sys.exit(1)
    print("report check: the page is valid HTML5, self-contained, and Chromium draws every chart")


if __name__ == "__main__":
    main()
