"""Opens an HTML page in headless Chromium and reports, as JSON on stdout, whether each collm
chart (element with class "collm-chart") was drawn: the share of non-background pixels in its
screenshot, plus the browser console's errors. Used by widgettest.CheckCharts.

Usage: chartcheck.py PAGE.html|URL SCREENSHOT.png
"""
import io
import json
import sys
import tempfile
import time

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def drawn_fraction(png):
    """Share of pixels that differ clearly from the most common (background) colour."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    colors = img.getcolors(maxcolors=img.width * img.height)
    background = max(colors)[1]
    drawn = sum(n for n, c in colors if sum(abs(a - b) for a, b in zip(c, background)) > 60)
    return drawn / (img.width * img.height), len(colors)


def main():
    page, shot = sys.argv[1], sys.argv[2]
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600", f"--user-data-dir={tempfile.mkdtemp()}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(page if "://" in page else "file://" + page)
        # A chart is done when it has a canvas, or when it shows text instead (collm's hint that
        # the page has no ECharts library), but not while it still shows the hint that scripts
        # did not run (collm-untrusted). Charts inside closed <details> ("more charts") draw when
        # shown: first the visible ones, then every toggle is opened, as a person would.
        def done(c):
            if c.find_elements(By.CSS_SELECTOR, ".collm-untrusted"):
                return False
            return bool(c.find_elements(By.TAG_NAME, "canvas") or c.text.strip())

        def wait(only_visible):
            deadline = time.time() + 20
            charts = []
            while time.time() < deadline:
                charts = driver.find_elements(By.CSS_SELECTOR, ".collm-chart")
                todo = [c for c in charts if not only_visible or c.is_displayed()]
                if charts and all(done(c) for c in todo):
                    break
                time.sleep(0.2)
            return charts

        charts = wait(True)
        hidden = driver.execute_script(
            "var n=0;document.querySelectorAll('details').forEach(function(d){if(!d.open){d.open=true;n++;}});return n;")
        if hidden:
            charts = wait(False)
        time.sleep(0.5)  # let the first frame paint
        result = {"charts": [], "console_errors": []}
        for c in charts:
            driver.execute_script("arguments[0].scrollIntoView();", c)
            fraction, ncolors = drawn_fraction(c.screenshot_as_png)
            result["charts"].append({
                "id": c.get_attribute("id"),
                "width": c.size["width"],
                "height": c.size["height"],
                "has_canvas": bool(c.find_elements(By.TAG_NAME, "canvas")),
                "drawn_fraction": fraction,
                "colors": ncolors,
                "text": c.text.strip(),
            })
        result["opened_details"] = hidden
        if charts:  # the screenshot shows the first chart and what follows it
            driver.execute_script("arguments[0].scrollIntoView();", charts[0])
        driver.save_screenshot(shot)
        for entry in driver.get_log("browser"):
            if entry.get("level") == "SEVERE":
                result["console_errors"].append(entry.get("message", ""))
        json.dump(result, sys.stdout)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
