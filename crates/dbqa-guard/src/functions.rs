//! The function allowlist: the functions analysts use, per dialect, as data.
//!
//! A function call is accepted only when its name is on the list of the guard's dialect
//! (string, math, date and time, conditional, aggregate, window, JSON construction and
//! reading, set-returning series), or the user added it (`ALLOWED_FUNCTIONS`,
//! [`GuardConfig::allowed_functions`](crate::GuardConfig::allowed_functions)). Everything
//! else is refused wherever it appears, because a database has thousands of functions
//! and some of them read tables or catalogs by name (`table_to_xml`, `ts_stat`,
//! `query_to_xml`), change server state (`pg_stat_reset`, `brin_summarize_new_values`),
//! reach files or the network, or sleep: a denylist cannot keep up with them.
//!
//! Names compare case-insensitively. A qualified call (`pg_catalog.lower(x)`,
//! `dbo.my_function(x)`) is accepted only when that qualified name was added by the
//! user: no built-in list entry matches a qualified name.
//!
//! Left out on purpose: functions that inflate sizes without bound (`repeat`, `space`,
//! `replicate`), read settings or server identity (`current_setting`, `version`,
//! `current_user`), or take SQL text, table names or file names as arguments.

use std::collections::HashSet;
use std::sync::LazyLock;

use dbqa_core::{ALL_DIALECTS, Dialect};
use sqlparser::ast::{ObjectName, ObjectNamePart};

/// In every dialect: aggregates, windows, conditionals, and the string, math and date
/// functions the SQL standard and all four databases share.
const COMMON: &[&str] = &[
    // aggregates
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    // window
    "row_number",
    "rank",
    "dense_rank",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    "percent_rank",
    "cume_dist",
    // conditional
    "coalesce",
    "nullif",
    "greatest",
    "least",
    // string
    "lower",
    "upper",
    "length",
    "char_length",
    "character_length",
    "substr",
    "substring",
    "trim",
    "ltrim",
    "rtrim",
    "replace",
    "concat",
    "concat_ws",
    "left",
    "right",
    "reverse",
    "lpad",
    "rpad",
    "ascii",
    "char",
    "instr",
    "format",
    // math
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "round",
    "trunc",
    "truncate",
    "mod",
    "power",
    "pow",
    "sqrt",
    "exp",
    "ln",
    "log",
    "log10",
    "log2",
    "sign",
    "pi",
    "random",
    "rand",
    "degrees",
    "radians",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "cot",
    // date and time
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "now",
    "date",
    "time",
    // type inspection and conversion that only reads its arguments
    "cast",
];

const POSTGRES: &[&str] = &[
    "array",
    "string_agg",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "mode",
    "percentile_cont",
    "percentile_disc",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_slope",
    "regr_intercept",
    "regr_count",
    "regr_r2",
    "regr_avgx",
    "regr_avgy",
    "regr_sxx",
    "regr_syy",
    "regr_sxy",
    "bit_and",
    "bit_or",
    "btrim",
    "strpos",
    "position",
    "split_part",
    "initcap",
    "translate",
    "chr",
    "octet_length",
    "bit_length",
    "md5",
    "to_hex",
    "starts_with",
    "regexp_replace",
    "regexp_match",
    "regexp_matches",
    "regexp_like",
    "regexp_count",
    "regexp_substr",
    "regexp_split_to_array",
    "regexp_split_to_table",
    "to_char",
    "to_number",
    "to_date",
    "to_timestamp",
    "date_trunc",
    "date_part",
    "date_bin",
    "extract",
    "age",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "justify_days",
    "justify_hours",
    "justify_interval",
    "isfinite",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "timezone",
    "cbrt",
    "div",
    "factorial",
    "gcd",
    "lcm",
    "scale",
    "width_bucket",
    "num_nonnulls",
    "num_nulls",
    "generate_series",
    "unnest",
    "generate_subscripts",
    "array_length",
    "array_to_string",
    "string_to_array",
    "array_position",
    "array_positions",
    "array_remove",
    "array_append",
    "array_prepend",
    "array_cat",
    "cardinality",
    "json_build_object",
    "json_build_array",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_object",
    "jsonb_object",
    "to_json",
    "to_jsonb",
    "row_to_json",
    "array_to_json",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "json_array_length",
    "jsonb_array_length",
    "json_extract_path",
    "jsonb_extract_path",
    "json_extract_path_text",
    "jsonb_extract_path_text",
    "json_typeof",
    "jsonb_typeof",
    "json_each",
    "jsonb_each",
    "json_each_text",
    "jsonb_each_text",
    "json_array_elements",
    "jsonb_array_elements",
    "json_array_elements_text",
    "jsonb_array_elements_text",
    "json_object_keys",
    "jsonb_object_keys",
    "jsonb_pretty",
    "jsonb_set",
    "jsonb_strip_nulls",
    "json_strip_nulls",
    "numeric",
    "int4",
    "int8",
    "float8",
    "text",
    "timestamp",
];

const MYSQL: &[&str] = &[
    "group_concat",
    "json_arrayagg",
    "json_objectagg",
    "bit_and",
    "bit_or",
    "bit_xor",
    "std",
    "if",
    "ifnull",
    "isnull",
    "lcase",
    "ucase",
    "locate",
    "position",
    "mid",
    "field",
    "find_in_set",
    "elt",
    "strcmp",
    "soundex",
    "octet_length",
    "bit_length",
    "hex",
    "unhex",
    "md5",
    "regexp_replace",
    "regexp_substr",
    "regexp_instr",
    "regexp_like",
    "substring_index",
    "quote",
    "to_base64",
    "from_base64",
    "conv",
    "crc32",
    "div",
    "curdate",
    "curtime",
    "current_date",
    "sysdate",
    "utc_date",
    "utc_time",
    "utc_timestamp",
    "date_format",
    "time_format",
    "str_to_date",
    "year",
    "month",
    "day",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "dayname",
    "monthname",
    "hour",
    "minute",
    "second",
    "microsecond",
    "week",
    "weekday",
    "weekofyear",
    "yearweek",
    "quarter",
    "last_day",
    "datediff",
    "timediff",
    "timestampdiff",
    "timestampadd",
    "date_add",
    "date_sub",
    "adddate",
    "subdate",
    "addtime",
    "subtime",
    "makedate",
    "maketime",
    "period_add",
    "period_diff",
    "to_days",
    "from_days",
    "to_seconds",
    "sec_to_time",
    "time_to_sec",
    "unix_timestamp",
    "from_unixtime",
    "convert_tz",
    "extract",
    "timestamp",
    "json_object",
    "json_array",
    "json_extract",
    "json_unquote",
    "json_value",
    "json_contains",
    "json_contains_path",
    "json_keys",
    "json_length",
    "json_type",
    "json_valid",
    "json_quote",
    "json_search",
    "json_depth",
    "json_set",
    "json_insert",
    "json_replace",
    "json_remove",
    "json_merge_patch",
    "json_merge_preserve",
    "json_pretty",
];

const SQLITE: &[&str] = &[
    "group_concat",
    "string_agg",
    "total",
    "ifnull",
    "iif",
    "if",
    "likely",
    "unlikely",
    "likelihood",
    "typeof",
    "quote",
    "hex",
    "unhex",
    "unicode",
    "printf",
    "glob",
    "like",
    "octet_length",
    "datetime",
    "julianday",
    "strftime",
    "unixepoch",
    "timediff",
    "json",
    "jsonb",
    "json_array",
    "json_object",
    "json_extract",
    "jsonb_extract",
    "json_array_length",
    "json_type",
    "json_valid",
    "json_quote",
    "json_group_array",
    "json_group_object",
    "json_each",
    "json_tree",
    "json_set",
    "json_insert",
    "json_replace",
    "json_remove",
    "json_patch",
    "median",
];

const MSSQL: &[&str] = &[
    "count_big",
    "string_agg",
    "stdev",
    "stdevp",
    "var",
    "varp",
    "checksum_agg",
    "grouping",
    "iif",
    "isnull",
    "choose",
    "len",
    "datalength",
    "charindex",
    "patindex",
    "stuff",
    "str",
    "nchar",
    "unicode",
    "soundex",
    "difference",
    "quotename",
    "string_split",
    "translate",
    "concat",
    "format",
    "try_cast",
    "try_convert",
    "try_parse",
    "convert",
    "parse",
    "getdate",
    "getutcdate",
    "sysdatetime",
    "sysutcdatetime",
    "sysdatetimeoffset",
    "dateadd",
    "datediff",
    "datediff_big",
    "datename",
    "datepart",
    "datefromparts",
    "datetimefromparts",
    "datetime2fromparts",
    "timefromparts",
    "eomonth",
    "isdate",
    "isnumeric",
    "year",
    "month",
    "day",
    "switchoffset",
    "todatetimeoffset",
    "square",
    "json_value",
    "json_query",
    "json_modify",
    "isjson",
    "openjson",
    "json_object",
    "json_array",
    "percentile_cont",
    "percentile_disc",
];

fn builtin(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Postgres => POSTGRES,
        Dialect::MySql => MYSQL,
        Dialect::Sqlite => SQLITE,
        Dialect::MsSql => MSSQL,
    }
}

/// The built-in lists as sets, one per dialect in [`ALL_DIALECTS`] order.
static BUILTIN: LazyLock<Vec<HashSet<&'static str>>> = LazyLock::new(|| {
    ALL_DIALECTS
        .iter()
        .map(|&d| COMMON.iter().chain(builtin(d)).copied().collect())
        .collect()
});

/// Whether `name` (lower case, unqualified) is a built-in analyst function of `dialect`.
pub fn is_builtin(name: &str, dialect: Dialect) -> bool {
    let index = ALL_DIALECTS.iter().position(|&d| d == dialect);
    index
        .and_then(|i| BUILTIN.get(i))
        .is_some_and(|set| set.contains(name))
}

/// Longest function name looked up without allocating.
const SHORT_NAME: usize = 48;

/// The functions a guard accepts: its dialect's built-in list and the user's additions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FunctionPolicy {
    dialect: Dialect,
    /// User additions in lower case, qualified ones joined with `.`.
    extra: Vec<String>,
}

impl FunctionPolicy {
    pub(crate) fn new(dialect: Dialect, extra: &[String]) -> Self {
        Self {
            dialect,
            extra: extra
                .iter()
                .map(|f| f.trim().to_lowercase())
                .filter(|f| !f.is_empty())
                .collect(),
        }
    }

    /// Whether a call to the function `name` (as written) is accepted.
    pub(crate) fn allows(&self, name: &ObjectName) -> bool {
        match name.0.as_slice() {
            [ObjectNamePart::Identifier(ident)] => self.allows_unqualified(&ident.value),
            parts => {
                let joined = parts
                    .iter()
                    .map(|p| match p {
                        ObjectNamePart::Identifier(ident) => ident.value.to_lowercase(),
                        ObjectNamePart::Function(_) => p.to_string().to_lowercase(),
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                // A lone non-identifier part (`IDENTIFIER(...)`) is never a known function.
                parts.len() > 1 && self.extra.contains(&joined)
            }
        }
    }

    /// An unqualified name, lower-cased on the stack (the guard's hot path).
    fn allows_unqualified(&self, name: &str) -> bool {
        let mut buffer = [0u8; SHORT_NAME];
        let lower = match name.as_bytes() {
            bytes if bytes.len() <= SHORT_NAME && bytes.is_ascii() => {
                let slot = &mut buffer[..bytes.len()];
                slot.copy_from_slice(bytes);
                slot.make_ascii_lowercase();
                std::str::from_utf8(slot).unwrap_or_default()
            }
            _ => return self.extra.contains(&name.to_lowercase()),
        };
        is_builtin(lower, self.dialect) || self.extra.iter().any(|e| e == lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(dialect: Dialect, extra: &[&str], name: &str) -> bool {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let parts: Vec<sqlparser::ast::Ident> =
            name.split('.').map(sqlparser::ast::Ident::new).collect();
        FunctionPolicy::new(dialect, &extra).allows(&ObjectName::from(parts))
    }

    #[test]
    fn analyst_functions_pass_and_the_rest_does_not() {
        for (dialect, name, expect) in [
            (Dialect::Postgres, "COUNT", true),
            (Dialect::Postgres, "date_trunc", true),
            (Dialect::Postgres, "table_to_xml", false),
            (Dialect::Postgres, "ts_stat", false),
            (Dialect::Postgres, "pg_stat_reset", false),
            (Dialect::Postgres, "current_setting", false),
            (Dialect::Postgres, "repeat", false),
            (Dialect::MySql, "date_format", true),
            (Dialect::MySql, "load_file", false),
            (Dialect::Sqlite, "strftime", true),
            (Dialect::Sqlite, "load_extension", false),
            (Dialect::MsSql, "datediff", true),
            (Dialect::MsSql, "xp_cmdshell", false),
            // A function of another dialect is not a function of this one.
            (Dialect::Sqlite, "date_trunc", false),
        ] {
            assert_eq!(allows(dialect, &[], name), expect, "{dialect} {name}");
        }
    }

    #[test]
    fn qualified_names_need_the_user() {
        assert!(!allows(Dialect::Postgres, &[], "pg_catalog.lower"));
        assert!(!allows(Dialect::MsSql, &[], "dbo.fiscal_year"));
        assert!(allows(
            Dialect::MsSql,
            &["dbo.Fiscal_Year"],
            "DBO.fiscal_year"
        ));
        assert!(allows(Dialect::Postgres, &["similarity"], "similarity"));
        assert!(!allows(
            Dialect::Postgres,
            &["similarity"],
            "public.similarity"
        ));
    }
}
