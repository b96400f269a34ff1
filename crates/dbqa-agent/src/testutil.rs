//! Schemas shared by the unit tests: the demo shop and a wider schema around it.

use dbqa_core::{Column, Dialect, ForeignKey, PrimaryKey, Schema, Table, TableKind};

fn col(spec: &str) -> Column {
    let (name, data_type) = spec.split_once(' ').unwrap_or((spec, "integer"));
    Column {
        name: name.into(),
        data_type: data_type.into(),
        nullable: true,
        default: None,
        comment: None,
    }
}

pub(crate) fn table(
    name: &str,
    pk: &[&str],
    columns: &[&str],
    fks: &[(&str, &str, &str)],
) -> Table {
    Table {
        schema: None,
        name: name.into(),
        kind: TableKind::Table,
        columns: columns.iter().map(|c| col(c)).collect(),
        primary_key: (!pk.is_empty()).then(|| PrimaryKey {
            name: None,
            columns: pk.iter().map(|c| c.to_string()).collect(),
        }),
        foreign_keys: fks
            .iter()
            .map(|(c, t, rc)| ForeignKey {
                name: None,
                columns: vec![c.to_string()],
                referenced_schema: None,
                referenced_table: t.to_string(),
                referenced_columns: vec![rc.to_string()],
            })
            .collect(),
        indexes: vec![],
        comment: None,
        definition: None,
    }
}

/// The demo shop (the same tables as `dbqa_schema::demo`).
pub(crate) fn shop() -> Schema {
    let mut customers = table(
        "customers",
        &["id"],
        &[
            "id integer",
            "name text",
            "email text",
            "country text",
            "city text",
            "created_at date",
        ],
        &[],
    );
    customers.comment = Some("People who buy from the shop".into());
    let mut order_totals = table(
        "order_totals",
        &[],
        &["order_id integer", "customer_id integer", "total numeric"],
        &[],
    );
    order_totals.kind = TableKind::View;
    Schema {
        dialect: Dialect::Sqlite,
        tables: vec![
            table("categories", &["id"], &["id integer", "name text"], &[]),
            customers,
            table(
                "employees",
                &["id"],
                &[
                    "id integer",
                    "first_name text",
                    "last_name text",
                    "title text",
                    "manager_id integer",
                    "hired_on date",
                    "salary numeric",
                ],
                &[("manager_id", "employees", "id")],
            ),
            table(
                "order_items",
                &["order_id", "product_id"],
                &[
                    "order_id integer",
                    "product_id integer",
                    "quantity integer",
                    "unit_price numeric",
                ],
                &[
                    ("order_id", "orders", "id"),
                    ("product_id", "products", "id"),
                ],
            ),
            order_totals,
            table(
                "orders",
                &["id"],
                &[
                    "id integer",
                    "customer_id integer",
                    "employee_id integer",
                    "order_date date",
                    "status text",
                ],
                &[
                    ("customer_id", "customers", "id"),
                    ("employee_id", "employees", "id"),
                ],
            ),
            table(
                "products",
                &["id"],
                &[
                    "id integer",
                    "name text",
                    "category_id integer",
                    "price numeric",
                    "stock integer",
                ],
                &[("category_id", "categories", "id")],
            ),
        ],
    }
}

/// The shop plus unrelated tables, wider than the default context cap.
pub(crate) fn wide() -> Schema {
    let mut schema = shop();
    for (name, cols) in [
        (
            "suppliers",
            &["id integer", "company_name text", "country text"][..],
        ),
        (
            "warehouses",
            &["id integer", "location text", "capacity integer"],
        ),
        (
            "shipments",
            &[
                "id integer",
                "order_id integer",
                "carrier text",
                "shipped_at date",
            ],
        ),
        (
            "payments",
            &[
                "id integer",
                "order_id integer",
                "amount numeric",
                "method text",
            ],
        ),
        (
            "reviews",
            &[
                "id integer",
                "product_id integer",
                "rating integer",
                "body text",
            ],
        ),
        ("coupons", &["id integer", "code text", "discount numeric"]),
        (
            "audit_log",
            &["id integer", "actor text", "action text", "at timestamp"],
        ),
        ("app_settings", &["key text", "value text"]),
    ] {
        let fks: Vec<(&str, &str, &str)> = match name {
            "shipments" | "payments" => vec![("order_id", "orders", "id")],
            "reviews" => vec![("product_id", "products", "id")],
            _ => vec![],
        };
        schema.tables.push(table(name, &["id"], cols, &fks));
    }
    schema
}
