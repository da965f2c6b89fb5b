//! Settings: pipelines and stages, custom fields, theme, the data folder with backup and export,
//! the backups list with Restore…, integrations (Whop), AI (provider, usage, prompt templates),
//! contracts (e-signature), and the team workspace.

use crate::components::controls::{Button, Checkbox, Input, Select, Tone};
use crate::components::display::{Badge, BadgeTone, Card, IconText, Skeleton, TabsHost};
use crate::components::hooks::use_backups_changes;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::shell::apply_theme;
use crate::state::format::short_time;
use crate::state::support::{kept_text, pending_text, restore_question, restore_scheduled_text, size_text};
use dealdesk_model::ipc::{
    BackupRestore, BackupRestoreCancel, BackupsList, DefineCustomField, DeleteCustomField, ExportCsv, GetAppInfo,
    GetSettings, ListCustomFields, ListPipelines, SavePipelineEdit, SaveSettings, UpdateCustomField,
};
use dealdesk_model::support::{BackupInfo, Backups};
use dealdesk_model::{
    AppInfo, CsvObject, CustomFieldDef, CustomFieldPatch, CustomFieldType, NewCustomField, Pipeline, RecordKind,
    SavePipeline, Settings, StageEdit, Theme,
};
use yew::prelude::*;

mod data;
mod fields;

use data::*;
pub use fields::*;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    /// The tab to open (`ai`, `integrations`, …); the first when absent.
    #[prop_or_default]
    pub tab: Option<AttrValue>,
}

#[function_component(SettingsPage)]
pub fn settings_page(props: &SettingsProps) -> Html {
    html! {
        <section class="page" id="settings-page">
            <header class="page-header"><h1>{ "Settings" }</h1></header>
            <TabsHost initial={props.tab.clone()} tabs={vec![
                (AttrValue::from("pipelines"), AttrValue::from("Pipelines")),
                (AttrValue::from("fields"), AttrValue::from("Custom fields")),
                (AttrValue::from("appearance"), AttrValue::from("Appearance")),
                (AttrValue::from("data"), AttrValue::from("Data")),
                (AttrValue::from("integrations"), AttrValue::from("Integrations")),
                (AttrValue::from("ai"), AttrValue::from("AI")),
                (AttrValue::from("contracts"), AttrValue::from("Contracts")),
                (AttrValue::from("team"), AttrValue::from("Team")),
            ]}>
                <PipelinesEditor />
                <CustomFieldsEditor />
                <Appearance />
                <DataSettings />
                <crate::pages::whop::WhopPanel />
                <crate::pages::ai_settings::AiSettingsTab />
                <crate::pages::contracts_settings::ContractsSettingsTab />
                <crate::pages::team::TeamSettings />
            </TabsHost>
        </section>
    }
}

#[function_component(Appearance)]
fn appearance() -> Html {
    let settings = use_state(|| None::<Settings>);
    {
        let settings = settings.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { settings.set(invoke::<GetSettings>(&()).await.ok()) });
        });
    }
    let theme = settings.as_ref().map(|s| s.theme).unwrap_or_default();
    let set = {
        let settings = settings.clone();
        Callback::from(move |value: String| {
            let theme = match value.as_str() {
                "light" => Theme::Light,
                "dark" => Theme::Dark,
                _ => Theme::System,
            };
            apply_theme(theme);
            let settings = settings.clone();
            wasm_bindgen_futures::spawn_local(async move {
                settings.set(invoke::<SaveSettings>(&Settings { theme }).await.ok());
            });
        })
    };
    let value = match theme {
        Theme::System => "system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    html! {
        <Card title={AttrValue::from("Appearance")}>
            <Select id="theme" label={AttrValue::from("Theme")} value={value} on_change={set}
                options={vec![("system".into(), "Follow the system".into()), ("light".into(), "Light".into()), ("dark".into(), "Dark".into())]} />
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::key_from_label;

    #[test]
    fn stage_numbers_are_checked_on_save() {
        use super::{PipelineDraft, StageRow};
        let row =
            |p: &str, r: &str| StageRow { id: None, name: "NEW".into(), probability: p.into(), rotting: r.into() };
        let draft = |rows| PipelineDraft { id: None, name: "Sales".into(), is_default: true, stages: rows };
        let ok = draft(vec![row(" 25 ", ""), row("100", "7")]).request().unwrap();
        assert_eq!(
            (ok.stages[0].probability, ok.stages[0].rotting_days, ok.stages[1].rotting_days),
            (25, None, Some(7))
        );
        assert!(draft(vec![row("", "")]).request().unwrap_err().contains("probability"));
        assert!(draft(vec![row("101", "")]).request().is_err());
        assert!(draft(vec![row("10", "0")]).request().unwrap_err().contains("rotting"));
    }

    #[test]
    fn labels_become_keys() {
        assert_eq!(key_from_label("Renewal date"), "renewal_date");
        assert_eq!(key_from_label("  MRR (USD) "), "mrr_usd");
        assert_eq!(key_from_label("2nd owner"), "f_2nd_owner");
    }
}
