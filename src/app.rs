//! The application: everything wired together, and a server bound to a
//! port. The top of the house: it builds the layers below and hands each
//! part only what it needs; nothing imports it.

use std::sync::Arc;

use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

use crate::config::{KeySource, ServeArgs};
use crate::events::EventBus;
use crate::events::local::LocalBus;
use crate::events::postgres::PgBus;
use crate::graphql::Settings;
use crate::http::fanout::Fanout;
use crate::http::{App, AppState};
use crate::jobs::{Handler, Wake, Worker};
use crate::limits::{Budget, Gate, Limits, Shape};
use crate::schema::{SchemaQueries, build_schema};

/// A server with its listener bound, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    app: Arc<App>,
    /// The job worker's handlers, one per kind of job.
    handlers: Vec<Arc<dyn Handler>>,
}

impl Application {
    /// Connects, migrates, loads keys and binds the listen address (port 0
    /// picks a free port, as tests do).
    pub async fn build(config: ServeArgs) -> anyhow::Result<Self> {
        if !config.auth.configured() && !config.listen.ip().is_loopback() {
            anyhow::bail!(
                "no key is configured (CRM_JWT_SECRET or CRM_JWT_PUBLIC_KEY); the development secret is only used on a loopback address, and {} is not one",
                config.listen
            );
        }
        crate::http::check_cors_origins(&config.cors_origins)?;
        if config.jobs.job_lease <= config.webhooks.webhook_timeout {
            anyhow::bail!(
                "CRM_JOB_LEASE ({:?}) must be longer than CRM_WEBHOOK_TIMEOUT ({:?}): a delivery must end before its lease does",
                config.jobs.job_lease,
                config.webhooks.webhook_timeout
            );
        }
        if let Some(url) = &config.public_url
            && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            anyhow::bail!("CRM_PUBLIC_URL: {url:?} is not an http(s) URL");
        }
        if let Some(url) = &config.graphiql_assets
            && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            anyhow::bail!("CRM_GRAPHIQL_ASSETS: {url:?} is not an http(s) URL");
        }
        if config.console && !config.console_dir.join("index.html").is_file() {
            anyhow::bail!(
                "CRM_CONSOLE: {} holds no index.html; build the console with `npm ci && npm run build` in examples/console/, or set CRM_CONSOLE_DIR",
                config.console_dir.display()
            );
        }
        let limits = &config.limits;
        if limits.max_cost as f64 > limits.rate_bucket {
            anyhow::bail!(
                "CRM_MAX_COST ({}) must not exceed CRM_RATE_BUCKET ({}): a query costing more than the bucket holds could never run",
                limits.max_cost,
                limits.rate_bucket
            );
        }
        let webhook_client = crate::webhooks::client(&config.webhooks)?;
        let (keys, source) = config.auth.keys(&config.db, true)?;
        // A statement outliving its request is stopped soon after the
        // request's own timeout.
        let statement_timeout = limits.request_timeout + std::time::Duration::from_secs(1);
        let (db, statements) =
            crate::db::connect_counted(&config.db, Some(statement_timeout)).await?;
        crate::db::migrate(&db).await?;
        let reads = crate::db::Reads::open(&config.db, &db, Some(statement_timeout), &statements)?;
        let buffer = usize::from(config.subscription_buffer);
        let bus: Arc<dyn EventBus> = if config.db.is_sqlite() {
            Arc::new(LocalBus::new(buffer))
        } else {
            Arc::new(PgBus::start(&config.db.database_url, db.clone(), buffer).await?)
        };
        // On PostgreSQL the cost budgets are shared by every instance, in
        // the database, on a few connections of their own (counted with
        // the others).
        let bucket_db = if config.db.is_sqlite() {
            None
        } else {
            let mut bucket_db = crate::db::connect(&crate::config::DatabaseArgs {
                database_url: config.db.database_url.clone(),
                db_pool: Some(4),
            })
            .await?;
            crate::db::count_into(&mut bucket_db, &statements);
            Some(bucket_db)
        };
        let schema = build_schema(Settings {
            introspection: config.introspection,
            webhook_allow_private: config.webhooks.webhook_allow_private,
            export_link_ttl: config.exports.export_link_ttl,
            public_url: config.public_url.clone(),
            merge_undo_window: config.merge_undo_window,
        });
        let gate = Gate::new(
            Limits {
                max_depth: limits.max_depth,
                max_cost: limits.max_cost,
                max_aliases: limits.max_aliases,
            },
            Budget {
                bucket: limits.rate_bucket,
                restore: limits.rate_restore,
            },
            Shape::from_sdl(&schema.sdl())?,
            bucket_db,
            crate::limits::Slots::new(
                limits
                    .tenant_concurrency
                    .map_or_else(|| (config.db.pool_size() / 2) as usize, |n| n as usize),
            ),
        );
        let listener = TcpListener::bind(config.listen).await?;
        let fanout = Arc::new(Fanout::new(buffer, db.clone(), bus.clone(), schema.clone()));
        let api_keys = crate::api_keys::ApiKeys::new(db.clone());
        api_keys.clone().forget_on_revocation(bus.as_ref());
        let app = Arc::new(App {
            db,
            reads,
            keys,
            api_keys,
            schema,
            gate,
            persisted: Default::default(),
            stopping: tokio::sync::watch::Sender::new(false),
            dev_secret: match source {
                KeySource::DevSecret(path) => Some(path),
                KeySource::Configured => None,
            },
            config,
            statements,
            bus,
            fanout,
            wake: Wake::default(),
        });
        let router = crate::http::router(AppState(app.clone()));
        let handlers: Vec<Arc<dyn Handler>> = vec![
            Arc::new(crate::data_requests::DataRequests {
                db: app.db.clone(),
                queries: Arc::new(SchemaQueries {
                    db: app.db.clone(),
                    schema: app.schema.clone(),
                }),
                retention: app.config.exports.export_retention,
            }),
            Arc::new(crate::profiles::fields::index::FieldIndexes { db: app.db.clone() }),
            Arc::new(crate::bulk::BulkOperations {
                db: app.db.clone(),
                retention: app.config.exports.export_retention,
            }),
            Arc::new(crate::segments::MembershipRechecks::new(app.db.clone())),
            Arc::new(crate::duplicates::Refreshes::new(app.db.clone())),
            Arc::new(crate::webhooks::Deliveries {
                db: app.db.clone(),
                client: webhook_client,
                settings: app.config.webhooks.clone(),
            }),
        ];
        Ok(Self {
            listener,
            router,
            app,
            handlers,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn app(&self) -> Arc<App> {
        self.app.clone()
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests
    /// and the jobs the worker holds.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let refresher = tokio::spawn(crate::analytics::breakpoints::refresh_forever(
            self.app.db.clone(),
            self.app.config.rfm_refresh,
        ));
        let compactor = tokio::spawn(crate::profiles::counts::compact_forever(
            self.app.config.db.clone(),
        ));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let jobs = &self.app.config.jobs;
        let worker = jobs.worker.then(|| {
            let worker = Worker {
                db: self.app.db.clone(),
                bus: self.app.bus.clone(),
                wake: self.app.wake.clone(),
                handlers: self.handlers,
                poll: jobs.worker_poll,
                lease: jobs.job_lease,
            };
            tokio::spawn(worker.run(stopped))
        });
        let app = self.app.clone();
        // No Nagle delay: small writes (a subscription's event, a ping)
        // go out at once instead of waiting for the client's delayed ACK.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::warn!(%error, "could not set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, self.router)
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                // Stop accepting; WebSockets close with 1001 and in-flight
                // requests finish.
                app.stopping.send_replace(true);
            })
            .await;
        refresher.abort();
        compactor.abort();
        let _ = stop.send(true);
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
