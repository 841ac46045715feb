//! `kubetac user add|list|delete`: the ops center's users file (who may log
//! in to `kubetac serve`'s SSH CLI and package server).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::opscenter::users::{self, MIN_PASSWORD_LEN, Users};

#[derive(Debug, Args)]
#[command(
    after_help = "The file holds one NAME:ARGON2ID-HASH a line (mode 0600). Servers re-read it
when it changes: no restart is needed.

Examples:
  kubetac user add admin                                # asks for the password twice
  printf '%s\\n' \"$PW\" | kubetac user add ci --password-stdin
  kubetac user list
  kubetac user delete ci"
)]
pub struct UserArgs {
    /// The users file [default: $XDG_CONFIG_HOME/kubetac/users, i.e. ~/.config/kubetac/users].
    #[arg(long, env = "KUBETAC_USERS", global = true, value_name = "FILE")]
    users: Option<PathBuf>,

    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user, or set a new password for one.
    Add {
        /// Login name: lower-case letters, digits, `_`, `.`, `-` (at most 32).
        name: String,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the user names (never the hashes).
    List,
    /// Remove a user.
    #[command(visible_alias = "remove")]
    Delete { name: String },
}

pub fn run(a: UserArgs) -> anyhow::Result<ExitCode> {
    let path = a.users.unwrap_or_else(users::default_path);
    match a.command {
        UserCommand::Add {
            name,
            password_stdin,
        } => {
            // Checked before asking, so a typo in the name costs no typing.
            if !users::valid_name(&name) {
                return Err(users::UsersError::BadName(name).into());
            }
            let existed = Users::load(&path)
                .map(|u| u.contains(&name))
                .unwrap_or(false);
            let password = if password_stdin || !std::io::stdin().is_terminal() {
                read_stdin_line()?
            } else {
                prompt_twice(&name)?
            };
            users::add_user(&path, &name, &password)?;
            eprintln!(
                "{} user {name} in {}",
                if existed { "updated" } else { "added" },
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::List => {
            let u = match Users::load(&path) {
                Err(users::UsersError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    bail!(
                        "no users file {} yet: `kubetac user add NAME` creates it",
                        path.display()
                    )
                }
                r => r?,
            };
            for n in u.names() {
                println!("{n}");
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Delete { name } => {
            users::delete_user(&path, &name)?;
            eprintln!("deleted user {name} from {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_stdin_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let pw = line.strip_suffix('\n').unwrap_or(&line);
    let pw = pw.strip_suffix('\r').unwrap_or(pw);
    Ok(pw.to_string())
}

fn prompt_twice(name: &str) -> anyhow::Result<String> {
    let first = rpassword::prompt_password(format!("New password for {name}: "))
        .context("reading the password from the terminal")?;
    if first.chars().count() < MIN_PASSWORD_LEN {
        bail!("the password must have at least {MIN_PASSWORD_LEN} characters");
    }
    let again =
        rpassword::prompt_password("Again: ").context("reading the password from the terminal")?;
    if first != again {
        bail!("the passwords differ; nothing changed");
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(subcommand)]
        cmd: TopCmd,
    }
    #[derive(Debug, clap::Subcommand)]
    enum TopCmd {
        User(UserArgs),
    }

    #[test]
    fn parses_the_documented_forms() {
        use clap::CommandFactory;
        Top::command().debug_assert();
        let t = Top::try_parse_from([
            "k",
            "user",
            "add",
            "admin",
            "--users",
            "/x",
            "--password-stdin",
        ])
        .unwrap();
        let TopCmd::User(u) = t.cmd;
        assert_eq!(u.users.as_deref(), Some(std::path::Path::new("/x")));
        assert!(
            matches!(u.command, UserCommand::Add { ref name, password_stdin: true } if name == "admin")
        );
        let t = Top::try_parse_from(["k", "user", "--users", "/y", "delete", "ci"]).unwrap();
        let TopCmd::User(u) = t.cmd;
        assert!(matches!(u.command, UserCommand::Delete { ref name } if name == "ci"));
        assert!(Top::try_parse_from(["k", "user", "list"]).is_ok());
    }
}
