-- case: empty input
-- case: whitespace only
   
-- case: only a comment
/* nothing here */
-- case: only semicolons
;;
-- case: too long
-- config: max_length=20
SELECT id FROM a_table_with_a_long_name
-- case: length at the limit is fine
-- config: max_length=16
SELECT id FROM t
-- case: garbage
this is not sql
-- case: unbalanced parenthesis
SELECT (1 FROM t
-- case: unterminated string
SELECT 'abc FROM t
-- case: misspelled keyword
SELEC id FROM t
-- case: dialect-specific syntax in the wrong dialect
SELECT TOP 5 id FROM t
-- case: three statements list every violation
-- config: block=secret
SELECT * FROM secret; UPDATE t SET a = 1; SELECT pg_sleep(1)
-- case: deep nesting does not crash
SELECT ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
-- case: unicode identifiers and strings
SELECT "名前" FROM "歌手" WHERE note = 'héllo ☃'
-- case: a number where a qualifier's name should be (found by fuzzing; MySQL reads it differently after rendering)
SELECT T.2.Episode FROM TV_series AS T2
