//! `dbqa schema`: the database's structure as readable text or JSON.

use dbqa_core::Schema;

use crate::cli::SchemaArgs;
use crate::database;
use crate::failure::Failure;
use crate::output;

pub(crate) async fn run(args: SchemaArgs) -> Result<u8, Failure> {
    let config = database::resolve_config(&args.db)?;
    let mut schema = database::visible_schema(&config).await?;
    if !args.tables.is_empty() {
        schema = only_tables(schema, &args.tables)?;
    }
    if args.json {
        output::print_json(&schema)?;
    } else {
        print!("{}", output::schema_text(&schema));
    }
    Ok(0)
}

/// Keeps the named tables, in the order asked; an unknown name is an error listing what exists.
fn only_tables(schema: Schema, names: &[String]) -> Result<Schema, Failure> {
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        match schema.table(name) {
            Some(table) => tables.push(table.clone()),
            None => {
                let known: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
                return Err(Failure::failed(format!(
                    "no table `{name}`; tables are: {}",
                    known.join(", ")
                )));
            }
        }
    }
    Ok(Schema {
        dialect: schema.dialect,
        tables,
    })
}
