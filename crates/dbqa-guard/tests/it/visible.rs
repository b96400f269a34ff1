//! Blocked means invisible: what `Guard::visible` leaves of a schema, and the guard it
//! returns for the views it hid.

use dbqa_core::{Column, Dialect, ForeignKey, Schema, Table, TableKind};
use dbqa_guard::{Guard, GuardConfig};

fn table(schema: Option<&str>, name: &str, definition: Option<&str>) -> Table {
    Table {
        schema: schema.map(str::to_string),
        name: name.into(),
        kind: if definition.is_some() {
            TableKind::View
        } else {
            TableKind::Table
        },
        columns: vec![Column {
            name: "id".into(),
            data_type: "integer".into(),
            nullable: false,
            default: None,
            comment: None,
        }],
        primary_key: None,
        foreign_keys: vec![],
        indexes: vec![],
        comment: None,
        definition: definition.map(str::to_string),
    }
}

fn shop(schema: Option<&str>) -> Schema {
    let mut orders = table(schema, "orders", None);
    orders.foreign_keys.push(ForeignKey {
        name: None,
        columns: vec!["id".into()],
        referenced_schema: schema.map(str::to_string),
        referenced_table: "secret".into(),
        referenced_columns: vec!["id".into()],
    });
    Schema {
        dialect: Dialect::Sqlite,
        tables: vec![
            orders,
            table(schema, "secret", None),
            table(schema, "v_orders", Some("SELECT id FROM orders")),
            table(
                schema,
                "v_secret",
                Some(
                    "CREATE VIEW v_secret AS SELECT o.id FROM orders o JOIN Secret s ON s.id = o.id",
                ),
            ),
            table(schema, "v_v", Some("SELECT id FROM v_secret")),
            table(schema, "v_odd", Some("this is not SQL")),
        ],
    }
}

fn names(schema: &Schema) -> Vec<&str> {
    schema.tables.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn blocked_tables_and_the_views_over_them_disappear() {
    let guard = Guard::new(GuardConfig::new(Dialect::Sqlite).blocked_tables(["secret"]));
    let (visible, guard) = guard.visible(&shop(None));
    assert_eq!(names(&visible), ["orders", "v_orders"]);
    // The foreign key would name the blocked table: it goes too.
    assert!(visible.tables[0].foreign_keys.is_empty());
    for sql in [
        "SELECT * FROM v_secret",
        "SELECT * FROM V_V",
        "SELECT * FROM secret",
    ] {
        let rejection = guard.check(sql).unwrap_err();
        assert!(rejection.has("table_blocked"), "{sql}: {rejection}");
    }
    assert!(guard.check("SELECT id FROM v_orders").is_ok());
}

#[test]
fn allow_lists_decide_about_views_themselves() {
    let config = GuardConfig::new(Dialect::Postgres).allowed_tables(["public.v_secret", "orders"]);
    let (visible, _) = Guard::new(config).visible(&shop(Some("public")));
    // An allowed view is the user's choice, whatever it reads; an unreadable definition is
    // no reason to hide a view when nothing is blocked.
    assert_eq!(names(&visible), ["orders", "v_secret"]);
    assert!(visible.tables[0].foreign_keys.is_empty());
}

#[test]
fn qualified_lists_follow_the_schema() {
    let config = GuardConfig::new(Dialect::Postgres).allowed_tables(["hr.orders"]);
    let (visible, _) = Guard::new(config).visible(&shop(Some("public")));
    assert!(visible.tables.is_empty(), "{:?}", names(&visible));
}
