// Drives the dbqa web chat page in headless Chromium.
// Usage: node chat.mjs <base url> <screenshot path>
// Asks two questions in one session, waits for each streamed answer, and prints a JSON
// report of what the page showed.
import { chromium } from "playwright-core";

const [base, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/");
  const turns = [];
  for (const question of process.argv.length > 4 ? process.argv.slice(4) :
       ["Which countries do our customers come from?", "And how many in France?"]) {
    await page.fill("#question", question);
    await page.press("#question", "Enter");
    const n = turns.length + 1;
    const turn = page.locator(".turn").nth(n - 1);
    await page.waitForSelector(`.turn:nth-child(${n})[data-done]`, { timeout: 15000 });
    turns.push({
      question: await turn.locator(".question").innerText(),
      done: await turn.getAttribute("data-done"),
      answer: await turn.locator(".answer").innerText(),
      sql: await turn.locator("pre.sql").innerText(),
      headers: await turn.locator("table.rows th").allInnerTexts(),
      rows: await turn.locator("table.rows tbody tr").count(),
    });
  }
  const session = await page.evaluate(() => localStorage.getItem("dbqa.session"));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ turns, session, errors }));
} finally {
  await browser.close();
}
