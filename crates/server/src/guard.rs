//! Read-only by construction: the first query hook of every session. Each statement is
//! planned and the plan checked with DataFusion's `SQLOptions::verify_plan` (no DDL, no
//! DML, no COPY, no statements such as PREPARE) before anything runs, on the simple and
//! the extended protocol alike; `SET` is answered here, so that no `SET` reaches the
//! context shared by every connection of a role. No function that reads or writes a path
//! or URL is registered in the first place, and a table can only be a registered one
//! (DataFusion's file-path tables are not enabled).
//!
//! A refused statement gets SQLSTATE 42501 and a warning in the log naming user and
//! reason.

use crate::auth::METADATA_ROLE;
use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Expr, Set, SetExpr, Statement};
use datafusion_postgres::QueryHook;
use datafusion_postgres::hooks::HookClient;
use pgwire::api::ClientInfo;
use pgwire::api::results::{Response, Tag};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use std::sync::Arc;

/// Session variables a client may set: datafusion-postgres' `SET` hook keeps them in the
/// connection's own metadata (never in the shared context).
const SESSION_VARIABLES: &[&str] = &[
    "statement_timeout",
    "datestyle",
    "bytea_output",
    "intervalstyle",
    "application_name",
    "extra_float_digits",
    "search_path",
];

/// What the guard does with a statement.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Pass it on (to the other hooks, then to DataFusion).
    Pass,
    /// Answer it here with this command tag, doing nothing.
    Answer(&'static str),
    /// Refuse it, for this reason.
    Refuse(String),
}

/// The hook.
#[derive(Debug)]
pub struct ReadOnly;

fn user(client: &(dyn ClientInfo + Send + Sync)) -> (String, String) {
    let m = client.metadata();
    (
        m.get("user").cloned().unwrap_or_default(),
        m.get(METADATA_ROLE).cloned().unwrap_or_default(),
    )
}

fn refused(
    client: &(dyn ClientInfo + Send + Sync),
    statement: &Statement,
    reason: &str,
) -> PgWireError {
    let (user, role) = user(client);
    let text: String = statement.to_string().chars().take(200).collect();
    tracing::warn!(user, role, reason, statement = %text, "statement refused");
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "42501".into(),
        format!("retention serves the warehouse read-only: {reason}"),
    )))
}

/// The verdict on `statement`, planning it in `ctx` when it is a query or command.
async fn judge(statement: &Statement, ctx: &SessionContext) -> Verdict {
    match statement {
        Statement::Set(set) => judge_set(set),
        Statement::Rollback {
            savepoint: Some(_), ..
        } => Verdict::Answer("ROLLBACK"),
        Statement::ShowVariable { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. } => Verdict::Pass,
        // Nothing is ever written, so savepoints have nothing to keep: drivers (psycopg's
        // nested transactions, SQLAlchemy) get the answers they expect.
        Statement::Savepoint { .. } => Verdict::Answer("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Verdict::Answer("RELEASE"),
        Statement::Discard { .. } => Verdict::Answer("DISCARD ALL"),
        Statement::Deallocate { .. } => Verdict::Answer("DEALLOCATE"),
        Statement::Reset(_) => Verdict::Answer("RESET"),
        Statement::Copy { .. } => Verdict::Refuse("COPY is refused".into()),
        // datafusion-postgres runs a cursor's query itself (`SessionContext::sql`), and
        // the parser takes INSERT as a query: only a reading query is let through.
        Statement::Declare { stmts } => {
            for declare in stmts {
                let Some(query) = &declare.for_query else {
                    continue;
                };
                if !matches!(
                    *query.body,
                    SetExpr::Select(_)
                        | SetExpr::Query(_)
                        | SetExpr::SetOperation { .. }
                        | SetExpr::Values(_)
                ) {
                    return Verdict::Refuse("a cursor's query must only read".into());
                }
                if let Verdict::Refuse(reason) = judge_text(&query.to_string(), ctx).await {
                    return Verdict::Refuse(format!("a cursor's query: {reason}"));
                }
            }
            Verdict::Pass
        }
        _ => judge_text(&statement.to_string(), ctx).await,
    }
}

/// The verdict on a statement's text, planned exactly as the simple protocol runs it
/// (`SessionContext::sql`, whose parser reads `CREATE EXTERNAL TABLE` where the
/// PostgreSQL dialect does not); planning runs nothing.
async fn judge_text(sql: &str, ctx: &SessionContext) -> Verdict {
    match ctx.state().create_logical_plan(sql).await {
        // A statement that does not plan here fails the same way when it runs.
        Err(_) => Verdict::Pass,
        Ok(plan) => match read_only().verify_plan(&plan) {
            Ok(()) => Verdict::Pass,
            Err(e) => Verdict::Refuse(
                e.to_string()
                    .trim_start_matches("Error during planning: ")
                    .replace("not supported", "is refused"),
            ),
        },
    }
}

fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// `SET`: a session variable datafusion-postgres keeps per connection passes; an engine
/// setting (`datafusion.*`) is refused; anything else is answered and ignored, as drivers
/// send settings the engine has no use for (`client_min_messages`, ...).
fn judge_set(set: &Set) -> Verdict {
    match set {
        Set::SingleAssignment {
            scope: None,
            hivevar: false,
            variable,
            values,
        } => {
            let name = variable.to_string().to_lowercase();
            if name.starts_with("datafusion") {
                Verdict::Refuse(format!("SET of engine setting {name} is refused"))
            } else if SESSION_VARIABLES.contains(&name.as_str())
                && matches!(values.first(), Some(Expr::Value(_)))
            {
                Verdict::Pass
            } else {
                Verdict::Answer("SET")
            }
        }
        // datafusion-postgres keeps the time zone per connection.
        Set::SetTimeZone { local: false, .. } => Verdict::Pass,
        _ => Verdict::Answer("SET"),
    }
}

#[async_trait]
impl QueryHook for ReadOnly {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        match judge(statement, ctx).await {
            Verdict::Pass => None,
            Verdict::Answer(tag) => Some(Ok(Response::Execution(Tag::new(tag)))),
            Verdict::Refuse(reason) => Some(Err(refused(client, statement, &reason))),
        }
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        match judge(statement, ctx).await {
            Verdict::Pass => None,
            // Answered at execution; an empty plan describes no result columns.
            Verdict::Answer(_) => Some(Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                produce_one_row: false,
                schema: Arc::new(datafusion::common::DFSchema::empty()),
            }))),
            Verdict::Refuse(reason) => Some(Err(refused(client, statement, &reason))),
        }
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        plan: &LogicalPlan,
        _params: &ParamValues,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        // The plan itself is checked again: a plan another hook made is held to the rule.
        if let Err(e) = read_only().verify_plan(plan) {
            return Some(Err(refused(client, statement, &e.to_string())));
        }
        match judge(statement, ctx).await {
            Verdict::Pass => None,
            Verdict::Answer(tag) => Some(Ok(Response::Execution(Tag::new(tag)))),
            Verdict::Refuse(reason) => Some(Err(refused(client, statement, &reason))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    async fn verdict(sql: &str) -> Verdict {
        let ctx = SessionContext::new();
        ctx.sql("create table t as values (1)").await.unwrap();
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        judge(&statement, &ctx).await
    }

    #[tokio::test]
    async fn writes_copies_and_engine_settings_are_refused_on_the_plan() {
        for sql in [
            "create table u as select 1",
            "create view v as select 1",
            "create external table x stored as parquet location '/etc'",
            "insert into t values (2)",
            "drop table t",
            "copy t to '/tmp/x.csv'",
            "copy (select 1) to '/tmp/x.csv'",
            "set datafusion.execution.batch_size = 1",
            "prepare p as select 1",
            "declare c cursor for insert into t values (2)",
        ] {
            assert!(
                matches!(verdict(sql).await, Verdict::Refuse(_)),
                "{sql}: {:?}",
                verdict(sql).await
            );
        }
        for sql in [
            "select * from t",
            "with a as (select * from t) select * from a",
            "explain select 1",
            "declare c cursor for select * from t",
            "set application_name = 'psql'",
            "show datestyle",
            "begin",
            "commit",
        ] {
            assert_eq!(verdict(sql).await, Verdict::Pass, "{sql}");
        }
        assert_eq!(verdict("discard all").await, Verdict::Answer("DISCARD ALL"));
        assert_eq!(verdict("savepoint s").await, Verdict::Answer("SAVEPOINT"));
        assert_eq!(
            verdict("rollback to savepoint s").await,
            Verdict::Answer("ROLLBACK")
        );
        assert_eq!(
            verdict("set client_min_messages = warning").await,
            Verdict::Answer("SET")
        );
    }
}
