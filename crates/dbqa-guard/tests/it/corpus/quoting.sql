-- case: double-quoted identifiers
-- dialects: sqlite postgres
SELECT "Name" FROM "Singer"
-- case: backtick identifiers
-- dialects: mysql sqlite
SELECT `name` FROM `Singer`
-- case: bracket identifiers
-- dialects: mssql sqlite
SELECT [name] FROM [dbo].[Singer]
-- case: postgres quoted name keeps case, unquoted folds
-- dialects: postgres
SELECT 1 FROM "Users" JOIN users ON true JOIN USERS ON true
-- case: block list matches any quoting and case
-- config: block=secret
SELECT * FROM "SECRET"
-- case: block list matches backticks
-- dialects: mysql
-- config: block=secret
SELECT * FROM `Secret`
-- case: block list matches brackets
-- dialects: mssql
-- config: block=secret
SELECT * FROM [Secret]
-- case: block list ignores schema qualifier public
-- dialects: postgres
-- config: block=secret
SELECT * FROM public.secret
-- case: block list ignores schema qualifier main
-- dialects: sqlite
-- config: block=secret
SELECT * FROM main.secret
-- case: block list ignores schema qualifier dbo
-- dialects: mssql
-- config: block=secret
SELECT * FROM dbo.secret
-- case: block list ignores database qualifier
-- dialects: mysql
-- config: block=secret
SELECT * FROM test.secret
-- case: block list ignores three-part names
-- dialects: mssql
-- config: block=secret
SELECT * FROM shop.dbo.[SECRET]
-- case: block list entry with a qualifier matches that schema only (the default schema, or any when it is unknown)
-- config: block=public.secret
SELECT * FROM secret
-- case: allow list with mixed case entry
-- config: allow=Orders
SELECT id FROM ORDERS
-- case: allow list quoted entry in postgres keeps case
-- dialects: postgres
-- config: allow="Orders"
SELECT id FROM "Orders" JOIN orders ON true
-- case: string literal with an escaped quote
SELECT id FROM t WHERE name = 'O''Brien'
-- case: quoted identifier containing a keyword and a space
-- dialects: sqlite postgres
SELECT "drop table" FROM "my table"
-- case: bracket quote escape that would render a hidden table read is refused
-- dialects: sqlite mssql
-- config: block=secret
SELECT [a]] FROM secret --] FROM t
-- case: keyword used as a name that does not read back is refused
-- dialects: sqlite postgres
-- config: max_rows=10
SELECT not--e FROM death
-- case: doubled backtick inside a mysql name reads back
-- dialects: mysql
SELECT `a``b` FROM t
