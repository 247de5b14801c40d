// Package parser is modelsql's SQL front end: a hand-written lexer
// (Lexer, Tokenize), a statement splitter for scripts and interactive input
// (Split, Complete), a recursive-descent parser for the statements modelsql
// implements itself (Parse, returning the types of ast.go), and the rewriter
// that prepares all other SQL for DuckDB (RewriteSQL: inference calls,
// back-quoted identifiers, MaxCompute typed literals, ARRAY(...)).
//
// The grammar, the rewrite rules and the decisions taken where MaxCompute's
// documentation is silent are described in docs/sql.md.
package parser
