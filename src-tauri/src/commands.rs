//! The Tauri commands: one per `dealdesk_model::ipc` command, each an adapter that takes the typed
//! request, calls one core service and maps the error. No SQL, HTTP or business rule lives here.

use dealdesk_core::App;
use dealdesk_model::ipc::{self, Command};
use dealdesk_model::{ApiError, UpdateSource};

const SOURCE: UpdateSource = UpdateSource::Ui;

/// Compile-time check that a command function is named after its model command.
const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares each command as `fn_name: ModelCommand => |app, request| core call;`, generating the
/// Tauri command (argument `request`, typed by the model), the handler, and the list of names.
macro_rules! commands {
    ($( $name:ident : $cmd:ty => |$app:ident, $req:pat_param| $body:expr; )*) => {
        $(
            const _: () = assert!(same_name(stringify!($name), <$cmd as Command>::NAME), "command name differs from the model");

            #[tauri::command]
            #[allow(clippy::let_unit_value)] // commands without arguments take `()`
            async fn $name(
                state: tauri::State<'_, App>,
                request: <$cmd as Command>::Request,
            ) -> Result<<$cmd as Command>::Response, ApiError> {
                let $app: &App = state.inner();
                let $req = request;
                $body.map_err(|error| {
                    tracing::debug!(command = stringify!($name), %error, "command failed");
                    ApiError::from(&error)
                })
            }
        )*

        /// The names registered with Tauri, checked against the model by a test.
        #[cfg(test)]
        pub const REGISTERED: &[&str] = &[$(stringify!($name)),*];

        pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_model_command_is_registered_and_nothing_else() {
        let mut model: Vec<&str> = dealdesk_model::ipc::ALL_COMMANDS.to_vec();
        let mut shell: Vec<&str> = super::REGISTERED.to_vec();
        model.sort_unstable();
        shell.sort_unstable();
        assert_eq!(model, shell);
    }
}
