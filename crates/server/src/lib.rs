//! `retention serve`: the warehouse's leadership views (and, for analysts, its tables)
//! over the Postgres wire protocol, for psql, Metabase, Excel, Power BI and pandas.
//!
//! Built on datafusion-postgres (query handling, pg_catalog, types) and pgwire (the
//! protocol, TLS). What is ours:
//!
//! - [`auth`]: SCRAM-SHA-256 against the users file's verifiers, TLS required when it is
//!   on, the connection limit with a clear error;
//! - [`snapshot`]: a context per role per published run, the views held in memory, with
//!   descriptions from the data dictionary;
//! - [`guard`]: read-only by construction, checked on the plan;
//! - this module: the accept loop, the swap to a new run when `current` moves, and each
//!   query's timeout, memory limit and log line.

#![deny(missing_docs)]

pub mod auth;
pub mod guard;
pub mod snapshot;
pub mod users;

use crate::auth::{METADATA_ROLE, Refusal, Startup};
use crate::snapshot::Snapshot;
use crate::users::Role;
use async_trait::async_trait;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::{DfSessionService, Parser, QueryHook};
use futures::{Sink, StreamExt};
use pgwire::api::portal::Portal;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, QueryResponse, Response};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireServerHandlers, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::DataRow;
use std::collections::HashMap;
use std::fmt::Debug;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The warehouse whose `current` is served.
    pub warehouse: PathBuf,
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The users file.
    pub users_file: PathBuf,
    /// TLS certificate chain and private key (PEM).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Listen beyond loopback without TLS.
    pub insecure: bool,
    /// Connections served at once; more are refused with SQLSTATE 53300.
    pub max_connections: usize,
    /// A query running longer is cancelled (SQLSTATE 57014).
    pub query_timeout: Duration,
    /// Memory a query's operators (sorts, joins, aggregates) may hold.
    pub query_memory: usize,
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Beyond loopback without TLS.
    #[error(
        "{0}: listening beyond this machine without TLS would send passwords' proofs and the views in clear; pass --tls-cert and --tls-key, or --insecure on a network you trust"
    )]
    Insecure(SocketAddr),
    /// The certificate or key cannot be used.
    #[error("{}: {}; pass a PEM certificate chain with --tls-cert and its PEM private key with --tls-key", .0.display(), .1)]
    Tls(PathBuf, String),
    /// The address cannot be bound.
    #[error("{0}: cannot listen ({1}); is another server on that port? pass another with --listen")]
    Bind(SocketAddr, std::io::Error),
    /// The users file cannot be used.
    #[error(transparent)]
    Users(#[from] users::UsersError),
    /// The warehouse cannot be opened.
    #[error(transparent)]
    Warehouse(#[from] retention_pipeline::query::QueryError),
}

impl ServeError {
    /// The process exit code: 2 for what the operator must fix, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Bind(..) => 1,
            ServeError::Warehouse(retention_pipeline::query::QueryError::Io(..)) => 1,
            _ => 2,
        }
    }
}

/// What every connection shares.
pub struct Shared {
    pub(crate) tls: bool,
    pub(crate) users_file: PathBuf,
    /// A random key of this process, behind the verifiers of unknown users.
    pub(crate) secret: [u8; 32],
    warehouse: PathBuf,
    options: Options,
    snapshot: RwLock<Arc<Snapshot>>,
    rebuild: tokio::sync::Mutex<()>,
    connections: AtomicUsize,
    answers: Mutex<Answers>,
}

/// Answers to simple-protocol queries that read only the views, which change once a
/// night: the rows as sent, per run, role, statement text and the client's format
/// settings. A query that reads a table or catalog, or calls a volatile function, is
/// remembered as not cacheable. Emptied when a new run is served.
#[derive(Default)]
struct Answers {
    generation: u64,
    by_query: HashMap<AnswerKey, Option<Arc<Answer>>>,
}

type AnswerKey = (Role, String, Vec<Option<String>>);

/// One cached result set.
struct Answer {
    fields: Arc<Vec<FieldInfo>>,
    command_tag: String,
    rows: Vec<DataRow>,
}

/// Entries the cache holds per run, and the largest answer it keeps (bytes).
const ANSWERS_MAX: usize = 512;
const ANSWER_MAX_BYTES: usize = 4 << 20;

/// Whether a plan's answer depends only on the run: it reads views only (held in memory,
/// fixed per run) and calls no volatile function (`random()`, `now()`).
fn cacheable(plan: &datafusion::logical_expr::LogicalPlan) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::LogicalPlan;
    let mut ok = true;
    let _ = plan.apply_with_subqueries(|node| {
        ok &= match node {
            LogicalPlan::TableScan(scan) => {
                scan.table_name.schema().is_none_or(|s| s == "public")
                    && retention_pipeline::sql::VIEWS
                        .iter()
                        .any(|v| v.name == scan.table_name.table())
            }
            LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::DescribeTable(_) => false,
            _ => true,
        } && !node.expressions().iter().any(|e| e.is_volatile());
        Ok(if ok {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    ok
}

/// Logs a connection's outcome.
pub(crate) fn connection_log(user: &str, role: Option<Role>, peer: SocketAddr, outcome: &str) {
    let role = role.map_or("", Role::name);
    if outcome == "accepted" {
        tracing::info!(user, role, peer = %peer, outcome, "connection");
    } else {
        tracing::warn!(user, role, peer = %peer, outcome, "connection");
    }
}

impl Shared {
    /// The snapshot of the run `current` points at now: a run published since the last
    /// query is loaded first (once, whoever asks first), so the next query sees it. A
    /// run that cannot be loaded leaves the previous one served, with a warning.
    async fn snapshot(&self) -> Arc<Snapshot> {
        let served = self.snapshot.read().expect("not poisoned").clone();
        let Some(current) = retention_pipeline::warehouse::current_run(&self.warehouse) else {
            return served;
        };
        if current == served.run_id {
            return served;
        }
        let _one = self.rebuild.lock().await;
        let served = self.snapshot.read().expect("not poisoned").clone();
        if current == served.run_id {
            return served;
        }
        let started = Instant::now();
        match snapshot::load(&self.warehouse, &current, served.generation + 1).await {
            Ok(next) => {
                let next = Arc::new(next);
                tracing::info!(
                    run_id = %current,
                    previous = %served.run_id,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "serving a new run"
                );
                *self.snapshot.write().expect("not poisoned") = next.clone();
                next
            }
            Err(e) => {
                tracing::warn!(run_id = %current, error = %e, "cannot load the new run; still serving the previous one");
                served
            }
        }
    }

    /// Keeps an answer (or that the query has none to keep) for the run `generation`.
    fn remember(&self, generation: u64, key: AnswerKey, answer: Option<Arc<Answer>>) {
        let mut answers = self.answers.lock().expect("not poisoned");
        if answers.generation == generation && answers.by_query.len() < ANSWERS_MAX {
            answers.by_query.insert(key, answer);
        }
    }

    /// A session over `role`'s context of `snapshot` whose operators may hold at most
    /// the query memory limit.
    fn session(&self, snapshot: &Snapshot, role: Role) -> PgWireResult<DfSessionService> {
        let base = snapshot.context(role);
        // No spilling to disk: over the limit, a query fails rather than filling the disk.
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(self.options.query_memory)))
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            .build_arc()
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        let state = SessionStateBuilder::new_from_existing(base.state())
            .with_runtime_env(runtime)
            .build();
        Ok(DfSessionService::new_with_hooks(
            Arc::new(SessionContext::new_with_state(state)),
            hooks(),
        ))
    }
}

fn hooks() -> Vec<Arc<dyn QueryHook>> {
    vec![
        Arc::new(guard::ReadOnly),
        Arc::new(CursorStatementHook),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ]
}

/// The role a logged-in connection has.
fn role_of(client: &(impl ClientInfo + ?Sized)) -> PgWireResult<Role> {
    client
        .metadata()
        .get(METADATA_ROLE)
        .and_then(|r| Role::parse(r))
        .ok_or_else(|| auth::fatal("28000", "not logged in".into()))
}

type DfStatement = (
    String,
    Option<(
        datafusion::sql::sqlparser::ast::Statement,
        datafusion::logical_expr::LogicalPlan,
    )>,
);

/// The query handlers of one connection.
struct Queries {
    shared: Arc<Shared>,
    parser: Arc<Parsing>,
}

/// Parses with the context of the connection's role in the run served now.
struct Parsing {
    shared: Arc<Shared>,
}

impl Parsing {
    async fn parser(&self, role: Role) -> Arc<Parser> {
        let snapshot = self.shared.snapshot().await;
        DfSessionService::new_with_hooks(snapshot.context(role).clone(), hooks()).query_parser()
    }

    fn any_parser(&self) -> Arc<Parser> {
        let snapshot = self.shared.snapshot.read().expect("not poisoned").clone();
        DfSessionService::new_with_hooks(snapshot.context(Role::Leadership).clone(), hooks())
            .query_parser()
    }
}

#[async_trait]
impl QueryParser for Parsing {
    type Statement = DfStatement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let role = role_of(client)?;
        self.parser(role)
            .await
            .parse_sql(client, &compatible(sql), types)
            .await
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.any_parser().get_parameter_types(stmt)
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&pgwire::api::portal::Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        self.any_parser().get_result_schema(stmt, column_format)
    }
}

/// A query's log line, written when its last row is sent.
struct QueryLog {
    user: String,
    role: Role,
    started: Instant,
    statement: String,
}

impl QueryLog {
    fn new(client: &(impl ClientInfo + ?Sized), role: Role, statement: &str) -> QueryLog {
        QueryLog {
            user: client.metadata().get("user").cloned().unwrap_or_default(),
            role,
            started: Instant::now(),
            statement: statement.chars().take(200).collect(),
        }
    }

    fn done(&self, rows: u64, outcome: &str) {
        tracing::info!(
            user = %self.user,
            role = self.role.name(),
            duration_ms = self.started.elapsed().as_secs_f64() * 1000.0,
            rows,
            outcome,
            statement = %self.statement,
            "query"
        );
    }

    fn failed(&self, error: &PgWireError) {
        tracing::info!(
            user = %self.user,
            role = self.role.name(),
            duration_ms = self.started.elapsed().as_secs_f64() * 1000.0,
            outcome = "error",
            error = %error,
            statement = %self.statement,
            "query"
        );
    }
}

fn timed_out(timeout: Duration) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "57014".into(),
        format!(
            "canceling statement due to the server's query timeout ({} s, --query-timeout)",
            timeout.as_secs_f64()
        ),
    )))
}

/// The response with its rows sent before `deadline` (then the timeout error), logged
/// when the last row has gone.
fn watched(
    response: Response,
    deadline: tokio::time::Instant,
    timeout: Duration,
    log: QueryLog,
) -> Response {
    match response {
        Response::Query(q) => {
            let command_tag = q.command_tag.clone();
            let row_schema = q.row_schema.clone();
            let data_rows = q.data_rows;
            let rows = futures::stream::unfold(
                (data_rows, log, 0u64, false),
                move |(mut rows, log, n, done)| async move {
                    if done {
                        return None;
                    }
                    match tokio::time::timeout_at(deadline, rows.next()).await {
                        Ok(Some(Ok(row))) => Some((Ok(row), (rows, log, n + 1, false))),
                        Ok(Some(Err(e))) => {
                            log.failed(&e);
                            Some((Err(e), (rows, log, n, true)))
                        }
                        Ok(None) => {
                            log.done(n, "ok");
                            None
                        }
                        Err(_) => {
                            let e = timed_out(timeout);
                            log.failed(&e);
                            Some((Err(e), (rows, log, n, true)))
                        }
                    }
                },
            );
            let mut out = QueryResponse::new(row_schema, rows);
            out.set_command_tag(&command_tag);
            Response::Query(out)
        }
        other => {
            log.done(0, "ok");
            other
        }
    }
}

/// Catalog queries of psql and SQLAlchemy that DataFusion cannot plan, made plannable:
/// psql's `\d+ NAME` storage options (below), and subqueries inside a `CASE` of a
/// pg_catalog query's select list (SQLAlchemy's inspector describes a column's default,
/// identity and collation that way), which become NULL: no relation here has any.
fn compatible(query: &str) -> std::borrow::Cow<'_, str> {
    use datafusion::sql::sqlparser::ast::{
        Expr, SelectItem, SetExpr, Statement, visit_expressions_mut,
    };
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    let query = psql_compatible(query);
    if !query.to_ascii_lowercase().contains("pg_catalog.")
        || !query.to_ascii_lowercase().contains("case")
    {
        return query;
    }
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, &query) else {
        return query;
    };
    let mut changed = false;
    for statement in &mut statements {
        let Statement::Query(q) = statement else {
            continue;
        };
        let SetExpr::Select(select) = q.body.as_mut() else {
            continue;
        };
        for item in &mut select.projection {
            let expr = match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                _ => continue,
            };
            if !matches!(expr, Expr::Case { .. }) {
                continue;
            }
            let _ = visit_expressions_mut(expr, |e| {
                if matches!(e, Expr::Subquery(_)) {
                    *e = null_keeping_placeholders(e);
                    changed = true;
                }
                std::ops::ControlFlow::<()>::Continue(())
            });
        }
    }
    if !changed {
        return query;
    }
    statements
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
        .into()
}

/// NULL in place of `expr`, but keeping the parameters it holds (with their casts): a
/// client sends a value for each `$n`, and the server decodes them by the types of the
/// ones in the statement. `CASE WHEN false THEN concat($2::VARCHAR, ...) END`.
fn null_keeping_placeholders(
    expr: &datafusion::sql::sqlparser::ast::Expr,
) -> datafusion::sql::sqlparser::ast::Expr {
    use datafusion::sql::sqlparser::ast::{Expr, Value, visit_expressions};
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    // Each `$n` once, with its cast when it has one (a cast placeholder is visited
    // twice: as the cast and as the bare `$n`).
    let mut kept: std::collections::BTreeMap<u32, String> = std::collections::BTreeMap::new();
    let id = |e: &Expr| match e {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.trim_start_matches('$').parse::<u32>().ok(),
            _ => None,
        },
        _ => None,
    };
    let _ = visit_expressions(expr, |e| {
        match e {
            Expr::Cast { expr: inner, .. } => {
                if let Some(n) = id(inner) {
                    kept.insert(n, e.to_string());
                }
            }
            e => {
                if let Some(n) = id(e) {
                    kept.entry(n).or_insert_with(|| e.to_string());
                }
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    let kept: Vec<String> = kept.into_values().collect();
    let null = Expr::Value(Value::Null.into());
    if kept.is_empty() {
        return null;
    }
    let text = format!("CASE WHEN false THEN concat({}) END", kept.join(", "));
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_expr())
        .unwrap_or(null)
}

/// psql's `\d+ NAME` lists the relation's and its TOAST table's storage options with
/// `array(select ...)`, which DataFusion cannot plan; relations here have none.
fn psql_compatible(query: &str) -> std::borrow::Cow<'_, str> {
    const OPTIONS: &str = "pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')";
    if query.contains(OPTIONS) {
        query.replace(OPTIONS, "''").into()
    } else {
        query.into()
    }
}

#[async_trait]
impl SimpleQueryHandler for Queries {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let role = role_of(client)?;
        let query = &compatible(query);
        let snapshot = self.shared.snapshot().await;
        let log = QueryLog::new(client, role, query);
        let key: AnswerKey = (
            role,
            query.to_string(),
            [
                "datestyle",
                "intervalstyle",
                "bytea_output",
                "extra_float_digits",
                "timezone",
            ]
            .iter()
            .map(|k| client.metadata().get(*k).cloned())
            .collect(),
        );
        let known = {
            let mut answers = self.shared.answers.lock().expect("not poisoned");
            if answers.generation != snapshot.generation {
                *answers = Answers {
                    generation: snapshot.generation,
                    ..Answers::default()
                };
            }
            answers.by_query.get(&key).cloned()
        };
        if let Some(Some(answer)) = &known {
            let rows: Vec<PgWireResult<DataRow>> = answer.rows.iter().cloned().map(Ok).collect();
            let mut response =
                QueryResponse::new(answer.fields.clone(), futures::stream::iter(rows));
            response.set_command_tag(&answer.command_tag);
            log.done(answer.rows.len() as u64, "ok (cached)");
            return Ok(vec![Response::Query(response)]);
        }
        // First time this text is seen with this run: is its answer fixed for the run?
        let cache = known.is_none()
            && !query.trim_end().trim_end_matches(';').contains(';')
            && snapshot
                .context(role)
                .state()
                .create_logical_plan(query)
                .await
                .is_ok_and(|plan| cacheable(&plan));
        if known.is_none() && !cache {
            self.shared.remember(snapshot.generation, key.clone(), None);
        }
        let session = self.shared.session(&snapshot, role)?;
        let timeout = self.shared.options.query_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut responses = match tokio::time::timeout_at(
            deadline,
            SimpleQueryHandler::do_query(&session, client, query),
        )
        .await
        {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                log.failed(&e);
                return Err(e);
            }
            Err(_) => {
                let e = timed_out(timeout);
                log.failed(&e);
                return Err(e);
            }
        };
        if cache && let [Response::Query(_)] = responses.as_slice() {
            let Some(Response::Query(q)) = responses.pop() else {
                unreachable!("one query response")
            };
            let fields = q.row_schema.clone();
            let command_tag = q.command_tag.clone();
            let mut rows = Vec::new();
            let mut stream = q.data_rows;
            while let Some(row) = tokio::time::timeout_at(deadline, stream.next())
                .await
                .map_err(|_| timed_out(timeout))?
            {
                rows.push(row?);
            }
            let bytes: usize = rows.iter().map(|r| r.data.len()).sum();
            let answer = Arc::new(Answer {
                fields,
                command_tag,
                rows,
            });
            self.shared.remember(
                snapshot.generation,
                key,
                (bytes <= ANSWER_MAX_BYTES).then(|| answer.clone()),
            );
            log.done(answer.rows.len() as u64, "ok");
            let rows: Vec<PgWireResult<DataRow>> = answer.rows.iter().cloned().map(Ok).collect();
            let mut response =
                QueryResponse::new(answer.fields.clone(), futures::stream::iter(rows));
            response.set_command_tag(&answer.command_tag);
            return Ok(vec![Response::Query(response)]);
        }
        let n = responses.len();
        Ok(responses
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let log = QueryLog {
                    statement: if n > 1 {
                        format!("{} (statement {} of {n})", log.statement, i + 1)
                    } else {
                        log.statement.clone()
                    },
                    user: log.user.clone(),
                    ..log
                };
                watched(r, deadline, timeout, log)
            })
            .collect())
    }
}

#[async_trait]
impl ExtendedQueryHandler for Queries {
    type Statement = DfStatement;
    type QueryParser = Parsing;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let role = role_of(client)?;
        let snapshot = self.shared.snapshot().await;
        let session = self.shared.session(&snapshot, role)?;
        let sql = portal.statement.statement.0.clone();
        let log = QueryLog::new(client, role, &sql);
        // Planned again against the run served now: a statement prepared before a run
        // published must read the new run (planning a statement takes about a millisecond).
        let fresh;
        let portal = if portal.statement.statement.1.is_some() {
            let parsed = session
                .query_parser()
                .parse_sql(client, &sql, &portal.statement.parameter_types)
                .await?;
            let mut rebuilt = Portal::default();
            rebuilt.name = portal.name.clone();
            rebuilt.statement = Arc::new(StoredStatement::new(
                portal.statement.id.clone(),
                parsed.unwrap_or((sql.clone(), None)),
                portal.statement.parameter_types.clone(),
            ));
            rebuilt.parameter_format = portal.parameter_format.clone();
            rebuilt.parameters = portal.parameters.clone();
            rebuilt.result_column_format = portal.result_column_format.clone();
            rebuilt.state = portal.state.clone();
            fresh = rebuilt;
            &fresh
        } else {
            portal
        };
        let timeout = self.shared.options.query_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        match tokio::time::timeout_at(
            deadline,
            ExtendedQueryHandler::do_query(&session, client, portal, max_rows),
        )
        .await
        {
            Ok(Ok(r)) => Ok(watched(r, deadline, timeout, log)),
            Ok(Err(e)) => {
                log.failed(&e);
                Err(e)
            }
            Err(_) => {
                let e = timed_out(timeout);
                log.failed(&e);
                Err(e)
            }
        }
    }
}

/// The handlers of one connection.
struct Connection {
    startup: Arc<Startup>,
    queries: Arc<Queries>,
}

impl PgWireServerHandlers for Connection {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.queries.clone()
    }
    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.queries.clone()
    }
    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }
}

/// Reads the certificate chain and key, failing on anything unusable (never falling back
/// to plain connections).
fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServeError::Tls(cert.to_path_buf(), format!("not a PEM certificate ({e})")))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(
            cert.to_path_buf(),
            "holds no certificate".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ServeError::Tls(key.to_path_buf(), format!("not a PEM private key ({e})")))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ServeError::Tls(
                cert.to_path_buf(),
                format!("the certificate and key do not go together ({e})"),
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A bound server, not yet serving.
pub struct Server {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
}

impl Server {
    /// Checks the options, the users file and the warehouse, loads the run in `current`
    /// and binds the address.
    pub async fn bind(options: Options) -> Result<Server, ServeError> {
        let tls = match &options.tls {
            Some((cert, key)) => Some(tls_acceptor(cert, key)?),
            None => None,
        };
        if tls.is_none() && !options.listen.ip().is_loopback() && !options.insecure {
            return Err(ServeError::Insecure(options.listen));
        }
        users::Users::load(&options.users_file)?;
        let run =
            retention_pipeline::warehouse::current_run(&options.warehouse).ok_or_else(|| {
                retention_pipeline::query::QueryError::NoCurrentRun(options.warehouse.clone())
            })?;
        let started = Instant::now();
        let snapshot = snapshot::load(&options.warehouse, &run, 0).await?;
        tracing::info!(run_id = %run, elapsed_ms = started.elapsed().as_millis() as u64, "serving run");
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|e| ServeError::Bind(options.listen, e))?;
        let shared = Arc::new(Shared {
            tls: tls.is_some(),
            users_file: options.users_file.clone(),
            secret: rand::random(),
            warehouse: options.warehouse.clone(),
            snapshot: RwLock::new(Arc::new(snapshot)),
            rebuild: tokio::sync::Mutex::new(()),
            connections: AtomicUsize::new(0),
            answers: Mutex::new(Answers::default()),
            options,
        });
        Ok(Server {
            listener,
            tls,
            shared,
        })
    }

    /// The address bound (the port, when `--listen` asked for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` completes; connections open then are dropped.
    pub async fn serve(self, stop: impl std::future::Future<Output = ()>) {
        let addr = self.listener.local_addr().ok();
        tracing::info!(
            listen = ?addr,
            tls = self.tls.is_some(),
            max_connections = self.shared.options.max_connections,
            "listening"
        );
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                () = &mut stop => break,
                a = self.listener.accept() => a,
            };
            let (socket, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    continue;
                }
            };
            let shared = self.shared.clone();
            let tls = self.tls.clone();
            tokio::spawn(async move {
                let open = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
                let max = shared.options.max_connections;
                let refusal = (open > max).then_some(Refusal::TooMany(max));
                let handlers = Connection {
                    startup: Arc::new(Startup::new(shared.clone(), refusal)),
                    queries: Arc::new(Queries {
                        shared: shared.clone(),
                        parser: Arc::new(Parsing {
                            shared: shared.clone(),
                        }),
                    }),
                };
                if let Err(e) = pgwire::tokio::process_socket(socket, tls, handlers).await {
                    tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                }
                shared.connections.fetch_sub(1, Ordering::SeqCst);
            });
        }
        tracing::info!("stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::compatible;

    /// SQLAlchemy's get_columns() shape: a subquery inside a CASE of a pg_catalog query
    /// becomes NULL, keeping its parameters (with their casts) for the values the client
    /// sends; other queries pass unchanged.
    #[test]
    fn catalog_subqueries_in_case_become_null_keeping_their_parameters() {
        let sql = "SELECT a.attname, CASE WHEN (a.attidentity != $1::VARCHAR) THEN (SELECT json_build_object($2::VARCHAR, s.seqstart, $10::VARCHAR, $3) FROM pg_catalog.pg_sequence AS s WHERE s.seqrelid = a.attrelid) ELSE NULL END AS identity FROM pg_catalog.pg_attribute AS a WHERE a.attnum > $4::SMALLINT";
        assert_eq!(
            compatible(sql),
            "SELECT a.attname, CASE WHEN (a.attidentity <> $1::VARCHAR) THEN CASE WHEN false THEN concat($2::VARCHAR, $3, $10::VARCHAR) END ELSE NULL END AS identity FROM pg_catalog.pg_attribute AS a WHERE a.attnum > $4::SMALLINT"
        );
        let user = "select case when turnover_rate > 0.3 then (select 1) end from office_risk";
        assert_eq!(compatible(user), user);
    }
}
