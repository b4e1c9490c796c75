use clap::Parser;
use crm::cli::{ApiKeyCommand, Cli, Command};

/// A request makes thousands of small, short-lived allocations (values,
/// rows, response trees) across the runtime's threads: mimalloc serves them
/// from per-thread pages, where glibc's allocator contends on its arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    crm::telemetry::init(&cli.log, cli.log_format);
    match cli.command {
        None => crm::commands::serve(cli.serve).await,
        Some(Command::Serve(args)) => crm::commands::serve(*args).await,
        Some(Command::Migrate(db)) => crm::commands::migrate(db).await,
        Some(Command::Token(args)) => crm::commands::token(args),
        Some(Command::ApiKey(ApiKeyCommand::Create(args))) => {
            crm::commands::create_api_key(args).await
        }
        Some(Command::Import(args)) => crm::commands::import(args).await,
        Some(Command::Export(args)) => crm::commands::export(args).await,
        Some(Command::SeedDemo(args)) => crm::commands::seed_demo(args).await,
        Some(Command::FindDuplicates(args)) => crm::commands::find_duplicates(args).await,
        Some(Command::Schema) => {
            print!("{}", crm::schema::sdl());
            Ok(())
        }
    }
}
