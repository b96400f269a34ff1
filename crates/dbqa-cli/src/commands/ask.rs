//! `dbqa ask`: one question, one answer.

use std::io::{IsTerminal, Write};
use std::path::Path;

use dbqa_agent::{AgentEvent, ChatSession, DatabaseQueryAgent, QueryOptions, QueryResponse};
use futures::StreamExt;

use crate::agent::{self, from_agent};
use crate::cli::{AskArgs, Format};
use crate::failure::Failure;
use crate::output;

pub(crate) async fn run(args: AskArgs) -> Result<u8, Failure> {
    let chart_format = args.chart.as_deref().map(ChartFormat::of).transpose()?;
    let config = agent::resolve_config(&args.agent)?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    // Streaming is for people watching: on a terminal always, elsewhere when
    // ENABLE_STREAMING asks for it (a pager, a log). Machine formats wait for the whole answer.
    let stream = format == Format::Table
        && !args.no_stream
        && (std::io::stdout().is_terminal() || config.enable_streaming);
    let agent = agent::build(config).await?;
    let mut options = QueryOptions::default();
    options.session_id = args.session.clone();
    let result = if stream {
        ask_streaming(&agent, &args.question, options).await
    } else {
        let spinner = Spinner::start();
        let result = agent
            .query_with(&args.question, options)
            .await
            .map_err(from_agent);
        spinner.finish();
        result.map(|r| (r, false))
    };
    let ran_sql = matches!(&result, Ok((response, _)) if response.sql.is_some());
    agent::remember_tool_mode(&agent, ran_sql);
    agent.close().await;
    let (response, answer_printed) = result?;
    print_response(&response, format, args.show_sql, answer_printed)?;
    if let (Some(path), Some(chart_format)) = (&args.chart, chart_format) {
        write_chart(&response, path, chart_format)?;
    }
    Ok(0)
}

/// The image formats of `--chart`.
#[derive(Debug, Clone, Copy)]
enum ChartFormat {
    Svg,
    Png,
}

impl ChartFormat {
    /// The format a file name asks for.
    fn of(path: &Path) -> Result<Self, Failure> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(Self::Svg),
            Some("png") => Ok(Self::Png),
            _ => Err(Failure::usage(format!(
                "--chart {}: the file must end in .svg or .png",
                path.display()
            ))),
        }
    }
}

/// Draws the response's chart into `path`; says so on stderr when no chart fits.
fn write_chart(response: &QueryResponse, path: &Path, format: ChartFormat) -> Result<(), Failure> {
    let Some(chart) = dbqa_agent::chart::for_response(response) else {
        eprintln!(
            "no chart: the result has no category or date column with numbers to draw ({} not written)",
            path.display()
        );
        return Ok(());
    };
    let bytes = match format {
        ChartFormat::Svg => dbqa_server::chart_image::svg(&chart).map(String::into_bytes),
        ChartFormat::Png => dbqa_server::chart_image::png(&chart),
    }
    .map_err(Failure::failed)?;
    std::fs::write(path, bytes)
        .map_err(|e| Failure::failed(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("chart: {}", path.display());
    Ok(())
}

/// Streams the answer to stdout as it is written, with the stage on a spinner.
/// Returns the response and whether the answer text was already printed.
pub(crate) async fn ask_streaming(
    agent: &DatabaseQueryAgent,
    question: &str,
    options: QueryOptions,
) -> Result<(QueryResponse, bool), Failure> {
    let events = agent.query_stream_with(question, options);
    consume(events).await
}

/// The same for a chat session.
pub(crate) async fn ask_session_streaming(
    session: &ChatSession,
    question: &str,
) -> Result<(QueryResponse, bool), Failure> {
    consume(session.ask_stream(question)).await
}

async fn consume(
    events: impl futures::Stream<Item = dbqa_agent::Result<AgentEvent>>,
) -> Result<(QueryResponse, bool), Failure> {
    let mut events = std::pin::pin!(events);
    let mut spinner = Spinner::start();
    let mut printed = false;
    let mut stdout = std::io::stdout();
    while let Some(event) = events.next().await {
        match event.map_err(|e| {
            spinner.clear();
            from_agent(e)
        })? {
            AgentEvent::Status { message } => spinner.set(&message),
            AgentEvent::Sql { .. } => spinner.set("running SQL"),
            AgentEvent::Rows { .. } => spinner.set("writing the answer"),
            AgentEvent::Token { text } => {
                spinner.clear();
                printed = true;
                let _ = write!(stdout, "{text}");
                let _ = stdout.flush();
            }
            AgentEvent::Done { response } => {
                spinner.clear();
                if printed {
                    println!();
                }
                return Ok((*response, printed));
            }
            _ => {}
        }
    }
    spinner.clear();
    Err(Failure::failed("the answer stream ended without a result"))
}

/// Prints a response in the chosen format.
pub(crate) fn print_response(
    response: &QueryResponse,
    format: Format,
    show_sql: bool,
    answer_printed: bool,
) -> Result<(), Failure> {
    match format {
        Format::Json => output::print_json(response)?,
        Format::Csv => print!("{}", output::rows_csv(&response.columns, &response.rows)?),
        Format::Markdown => {
            if let Some(answer) = &response.natural_response {
                println!("{answer}\n");
            }
            if let Some(sql) = response.sql.as_ref().filter(|_| show_sql) {
                println!("```sql\n{sql}\n```\n");
            }
            if !response.columns.is_empty() {
                print!(
                    "{}",
                    output::rows_markdown(&response.columns, &response.rows)
                );
            }
        }
        Format::Table => {
            if let Some(answer) = response
                .natural_response
                .as_ref()
                .filter(|_| !answer_printed)
            {
                println!("{answer}");
            }
            if let Some(sql) = response.sql.as_ref().filter(|_| show_sql) {
                anstream::println!("\n{}", output::highlight_sql(sql));
            }
            if !response.columns.is_empty() && !response.rows.is_empty() {
                println!();
                print!(
                    "{}",
                    output::rows_table(&response.columns, &response.rows, response.truncated)
                );
            }
            for warning in &response.warnings {
                anstream::eprintln!("warning: {warning}");
            }
        }
    }
    Ok(())
}

/// The stage spinner on stderr; invisible when stderr is not a terminal.
pub(crate) struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub(crate) fn start() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar.set_message("thinking");
        Self(Some(bar))
    }

    fn set(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_string());
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }

    fn finish(mut self) {
        self.clear();
    }
}
