// Drives what an analyst does on the dbqa page in headless Chromium: a grouped result
// drawn as a bar chart and a time series as a line chart, the chart/table toggle, SQL
// edited and run again, the CSV download, the schema panel, 👍, and an earlier
// conversation reopened. Records every request the browser makes.
// Usage: node analyst.mjs <base url> <screenshot dir>
// Prints one JSON report line.
import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";

const [base, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const report = { errors: [], requests: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => report.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") report.errors.push("console: " + m.text()); });
  page.on("request", (r) => report.requests.push(r.url()));
  page.on("dialog", (d) => d.accept());
  await page.goto(base + "/");

  const askAndWait = async (question) => {
    const n = await page.locator(".turn").count() + 1;
    await page.fill("#question", question);
    await page.press("#question", "Enter");
    await page.waitForSelector(`.turn:nth-child(${n})[data-done]`, { timeout: 20000 });
    return page.locator(".turn").nth(n - 1);
  };

  // 1. A count per country: a bar chart beside the table.
  const bars = await askAndWait("How many customers per country?");
  report.bar = {
    chart: await bars.getAttribute("data-chart"),
    view: await bars.getAttribute("data-view"),
    svg: await bars.locator(".chart svg").count(),
    marks: await bars.locator(".chart svg path[aria-roledescription='bar'], .chart svg .mark-rect path").count(),
    answer: await bars.locator(".answer").innerText(),
    meta: await bars.locator(".meta").innerText(),
  };
  await page.screenshot({ path: `${shots}/analyst-bar-chart.png`, fullPage: true });
  await bars.getByRole("button", { name: "Table", exact: true }).click();
  report.bar.afterToggle = {
    view: await bars.getAttribute("data-view"),
    tableVisible: await bars.locator("table.rows").isVisible(),
    chartVisible: await bars.locator(".chart").isVisible(),
    numericAligned: await bars.locator("table.rows td.num").count(),
  };

  // 2. Orders per month: a line chart.
  const line = await askAndWait("How many orders were placed each month?");
  report.line = { chart: await line.getAttribute("data-chart"), svg: await line.locator(".chart svg").count() };
  await page.screenshot({ path: `${shots}/analyst-line-chart.png`, fullPage: true });

  // 3. The first answer's SQL, edited and run again.
  report.bar.sqlBefore = await bars.locator("pre.sql").innerText();
  await bars.getByRole("button", { name: "Edit SQL" }).click();
  await bars.locator("textarea.sql-editor").fill(process.env.EDITED_SQL);
  await bars.getByRole("button", { name: "Run", exact: true }).click();
  await page.waitForSelector(".turn:nth-child(1)[data-edited]", { timeout: 15000 });
  report.edited = {
    sql: await bars.locator("pre.sql").innerText(),
    rows: await bars.locator("table.rows tbody tr").count(),
    headers: await bars.locator("table.rows th").allInnerTexts(),
    answer: await bars.locator(".answer").innerText(),
  };
  await page.screenshot({ path: `${shots}/analyst-edited-sql.png`, fullPage: true });

  // 4. The rows as CSV.
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    bars.getByRole("button", { name: "CSV" }).click(),
  ]);
  report.csv = { name: file.suggestedFilename(), text: await readFile(await file.path(), "utf8") };

  // 5. 👍 confirms the edited SQL.
  await bars.getByRole("button", { name: "👍" }).click();
  await page.waitForSelector(".turn:nth-child(1)[data-feedback]", { timeout: 10000 });
  report.feedback = await bars.locator(".note").innerText();

  // 6. The schema panel, searched; a click puts the table's name in the question.
  report.schema = { tables: await page.locator("#schema .table-entry").evaluateAll(es => es.map(e => e.dataset.table)) };
  await page.fill("#schema-search", "country");
  report.schema.searched = await page.locator("#schema .table-entry").evaluateAll(es => es.map(e => e.dataset.table));
  await page.fill("#schema-search", "");
  await page.fill("#question", "How many");
  await page.locator("#schema .table-entry[data-table='orders'] .insert").click();
  report.schema.question = await page.inputValue("#question");
  await page.fill("#question", "");

  // 7. A new conversation, then the earlier one reopened from the list.
  const earlier = await page.evaluate(() => localStorage.getItem("dbqa.session"));
  await page.click("#new-session");
  report.afterNew = await page.locator(".turn").count();
  await page.waitForSelector(`#sessions li[data-session='${earlier}']`, { timeout: 10000 });
  await page.locator(`#sessions li[data-session='${earlier}'] button.open`).click();
  await page.waitForSelector(`#log[data-session='${earlier}'] .turn`, { timeout: 10000 });
  report.reopened = {
    session: earlier,
    questions: await page.locator(".turn .question").allInnerTexts(),
    sql: await page.locator(".turn pre.sql").allInnerTexts(),
  };
  await page.screenshot({ path: `${shots}/analyst-reopened.png`, fullPage: true });
} catch (e) {
  report.errors.push("driver: " + (e && e.stack || e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
