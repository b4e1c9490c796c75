//! The project's own contract, kept true: every error code is in the API
//! guide, and every option of every command in the configuration guide.

use std::path::Path;

use clap::CommandFactory as _;

fn doc(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(name),
    )
    .unwrap()
}

#[test]
fn every_error_code_is_in_the_api_guide() {
    let guide = doc("api.md");
    let missing: Vec<&str> = crm::error::code::ALL
        .into_iter()
        .filter(|code| !guide.contains(&format!("`{code}`")))
        .collect();
    assert!(missing.is_empty(), "docs/api.md lacks {missing:?}");
}

#[test]
fn every_option_is_in_the_configuration_guide() {
    let guide = doc("configuration.md");
    let (mut missing, mut checked) = (Vec::new(), 0);
    let cli = crm::cli::Cli::command();
    let commands = std::iter::once(&cli).chain(cli.get_subcommands());
    for command in commands {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env() {
                checked += 1;
                let env = env.to_string_lossy();
                if !guide.contains(&format!("`{env}`")) {
                    missing.push(env.into_owned());
                }
            }
            if let Some(long) = arg.get_long()
                && !["help", "version"].contains(&long)
                && !guide.contains(&format!("--{long}"))
            {
                missing.push(format!("{} --{long}", command.get_name()));
            }
        }
    }
    assert!(
        checked >= 30,
        "only {checked} options read: the command changed shape"
    );
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks {missing:?}"
    );
}
