//! End-to-end tests: the agent with real databases (SQLite demo shop, PostgreSQL,
//! MariaDB), the fake LLM server and the real HTTP client.

mod scenarios;
mod settings;
mod support;

use support::{Backend, TestDb};

macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test]
            async fn $scenario() {
                if let Some(db) = TestDb::new(Backend::Sqlite).await {
                    scenarios::$scenario(db).await;
                }
            })*
        }
        mod postgres {
            use super::*;
            $(#[tokio::test]
            async fn $scenario() {
                if let Some(db) = TestDb::new(Backend::Postgres).await {
                    scenarios::$scenario(db).await;
                }
            })*
        }
        mod mariadb {
            use super::*;
            $(#[tokio::test]
            async fn $scenario() {
                if let Some(db) = TestDb::new(Backend::MySql).await {
                    scenarios::$scenario(db).await;
                }
            })*
        }
    };
}

on_every_backend!(
    template_answer_in_one_call,
    number_left_out_is_reconsidered,
    number_left_out_keeps_the_first_answer,
    relative_date_question_gets_todays_date,
    listing_streamed_in_order,
    greeting_without_sql,
    session_follow_up_uses_history,
    bad_sql_corrected,
    wrong_column_gets_the_real_columns,
    write_refused_after_retries,
    llm_cache_and_session_isolation,
    query_result_cache_hit,
    stats_match,
    describe_tables_pulls_in_a_table,
    auto_mode_falls_back_to_text,
    auto_mode_reads_a_call_written_as_text,
    foreign_date_function_gets_the_dialects_spelling,
    misqualified_column_repaired_without_a_call,
    join_made_only_for_a_misplaced_column_dropped,
    left_join_off_the_key_relinked,
    column_a_subquery_reads_joined_at_the_top,
    column_a_subquery_lacks_joined_inside_it,
    qualifier_naming_nothing_read_from_the_table_with_the_column,
    join_off_its_foreign_key_mended_before_it_runs,
    column_of_an_unjoined_table_joined_without_a_call,
    glossary_term_outranks_a_value_hint,
    glossary_rule_holds_whatever_the_model_wrote,
    glossary_rule_cannot_read_a_blocked_table,
    aliased_table_written_by_its_name_repaired,
    join_through_the_link_table_repaired,
    table_named_but_never_read_is_joined,
    view_column_reached_along_the_views_key,
    invented_table_gives_way_to_the_real_column,
    repairs_chain_until_the_query_runs,
    nested_aggregate_computed_in_two_steps,
    repeated_failing_sql_stops,
    edited_sql_answers_the_turn,
    verified_examples_answer_and_teach,
);
