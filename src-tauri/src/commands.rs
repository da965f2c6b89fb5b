//! The Tauri commands: one per `dealdesk_model::ipc` command, each an adapter that takes the typed
//! request, calls one core service and maps the error. No SQL, HTTP or business rule lives here.

use crate::opening::Opening;
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
                state: tauri::State<'_, Opening>,
                request: <$cmd as Command>::Request,
            ) -> Result<<$cmd as Command>::Response, ApiError> {
                let $app: &App = state.app().await?;
                let $req = request;
                $body.map_err(|error| {
                    tracing::debug!(command = stringify!($name), %error, "command failed");
                    ApiError::from(&error)
                })
            }
        )*

        /// The names registered with Tauri, checked against the model by a test. The last ones
        /// answer without waiting for the database (`opening::unavailable`).
        #[cfg(test)]
        pub const REGISTERED: &[&str] =
            &[$(stringify!($name),)* "unavailable_backups_list", "unavailable_restore"];

        // The app's own runtime: the restore from the "cannot open" screen restarts the app.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![
                $($name,)*
                crate::opening::unavailable::unavailable_backups_list,
                crate::opening::unavailable::unavailable_restore
            ]
        }
    };
}

commands! {
    list_people: ipc::ListPeople => |app, query| app.crm().list_people(&query).await;
    count_people: ipc::CountPeople => |app, query| app.crm().count_people(&query).await;
    get_person: ipc::GetPerson => |app, id| app.crm().get_person(id).await;
    create_person: ipc::CreatePerson => |app, new| app.crm().create_person(new, SOURCE).await;
    update_person: ipc::UpdatePerson => |app, (id, patch)| app.crm().update_person(id, patch, SOURCE).await;
    list_companies: ipc::ListCompanies => |app, query| app.crm().list_companies(&query).await;
    count_companies: ipc::CountCompanies => |app, query| app.crm().count_companies(&query).await;
    get_company: ipc::GetCompany => |app, id| app.crm().get_company(id).await;
    create_company: ipc::CreateCompany => |app, new| app.crm().create_company(new, SOURCE).await;
    update_company: ipc::UpdateCompany => |app, (id, patch)| app.crm().update_company(id, patch, SOURCE).await;
    list_deals: ipc::ListDeals => |app, query| app.crm().list_deals(&query).await;
    count_deals: ipc::CountDeals => |app, query| app.crm().count_deals(&query).await;
    get_deal: ipc::GetDeal => |app, id| app.crm().get_deal(id).await;
    create_deal: ipc::CreateDeal => |app, new| app.crm().create_deal(new, SOURCE).await;
    update_deal: ipc::UpdateDeal => |app, (id, patch)| app.crm().update_deal(id, patch, SOURCE).await;
    move_deal_stage: ipc::MoveDealStage => |app, request| app.crm().move_deal_stage(request, SOURCE).await;
    set_deal_status: ipc::ChangeDealStatus => |app, request| app.crm().set_deal_status(request, SOURCE).await;
    get_board: ipc::GetBoard => |app, query| app.crm().board(&query).await;
    list_pipelines: ipc::ListPipelines => |app, _unit| app.crm().list_pipelines().await;
    save_pipeline: ipc::SavePipelineEdit => |app, request| app.crm().save_pipeline(request).await;
    list_custom_fields: ipc::ListCustomFields => |app, object| app.crm().custom_fields(object).await;
    define_custom_field: ipc::DefineCustomField => |app, new| app.crm().define_custom_field(new).await;
    update_custom_field: ipc::UpdateCustomField => |app, patch| app.crm().update_custom_field(patch).await;
    delete_custom_field: ipc::DeleteCustomField => |app, id| app.crm().delete_custom_field(id).await;
    list_notes: ipc::ListNotes => |app, query| app.crm().list_notes(&query).await;
    add_note: ipc::AddNote => |app, new| app.crm().add_note(new, SOURCE).await;
    update_note: ipc::UpdateNote => |app, edit| app.crm().update_note(edit, SOURCE).await;
    list_tasks: ipc::ListTasks => |app, query| app.crm().list_tasks(&query).await;
    count_tasks: ipc::CountTasks => |app, query| app.crm().count_tasks(&query).await;
    add_task: ipc::AddTask => |app, new| app.crm().add_task(new, SOURCE).await;
    update_task: ipc::UpdateTask => |app, (id, patch)| app.crm().update_task(id, patch, SOURCE).await;
    list_tags: ipc::ListTags => |app, _unit| app.crm().list_tags().await;
    tag_record: ipc::TagRecord => |app, request| app.crm().tag_record(request.record, &request.tag, SOURCE).await;
    untag_record: ipc::UntagRecord => |app, request| app.crm().untag_record(request.record, &request.tag, SOURCE).await;
    trash_record: ipc::TrashRecord => |app, record| app.crm().trash(record, SOURCE).await;
    restore_record: ipc::RestoreRecord => |app, record| app.crm().restore(record, SOURCE).await;
    trash_list: ipc::TrashList => |app, query| app.crm().trash_list(&query).await;
    trash_delete_for_good: ipc::TrashDeleteForGood => |app, record| app.crm().delete_for_good(record, SOURCE).await;
    trash_empty: ipc::TrashEmpty => |app, kind| app.crm().empty_trash(kind, SOURCE).await;
    trash_set_retention: ipc::TrashSetRetention => |app, days| app.crm().set_trash_retention(days).await;
    bulk: ipc::Bulk => |app, request| app.crm().bulk(request, SOURCE).await;
    search: ipc::Search => |app, query| app.crm().search(&query.text, query.limit).await;
    timeline: ipc::Timeline => |app, record| app.timeline(record).await;
    get_dashboard: ipc::GetDashboard => |app, _unit| app.crm().dashboard().await;
    list_saved_views: ipc::ListSavedViews => |app, object| app.crm().saved_views(object).await;
    save_view: ipc::SaveView => |app, new| app.crm().save_view(new).await;
    delete_saved_view: ipc::DeleteSavedView => |app, id| app.crm().delete_saved_view(id).await;
    get_settings: ipc::GetSettings => |app, _unit| app.crm().settings().await;
    save_settings: ipc::SaveSettings => |app, settings| app.crm().save_settings(settings).await;
    get_app_info: ipc::GetAppInfo => |app, _unit| Ok::<_, dealdesk_core::CrmError>(app.info().await);
    backup_database: ipc::BackupDatabase => |app, _unit| app.backup().await;
    export_csv: ipc::ExportCsv => |app, object| app.export_csv_file(object).await;
    whop_status: ipc::WhopGetStatus => |app, _unit| app.whop().status().await;
    whop_connect: ipc::WhopConnect => |app, _unit| app.whop().start_app_login().await.inspect(|started| {
        dealdesk_core::browser::open_in_browser(&started.authorize_url);
    });
    whop_connect_loopback: ipc::WhopConnectLoopback => |app, _unit| app.whop().start_app_loopback_login().await.inspect(|started| {
        dealdesk_core::browser::open_in_browser(&started.authorize_url);
    });
    whop_disconnect: ipc::WhopDisconnect => |app, _unit| app.whop().logout().await;
    whop_sync_now: ipc::WhopSyncNow => |app, _unit| app.whop().sync(&|_| {}).await;
    whop_save_settings: ipc::WhopSaveSettings => |app, settings| app.whop().save_settings(settings).await;
    whop_sync_history: ipc::WhopSyncHistory => |app, _unit| app.whop().sync_history(20).await;
    whop_select_businesses: ipc::WhopSelectBusinesses => |app, ids| app.whop().select_businesses(ids).await;
    whop_doctor: ipc::WhopDoctor => |app, _unit| app.whop().doctor().await;
    whop_person_summary: ipc::WhopGetPersonSummary => |app, query| app.whop().person_summary(query).await;
    whop_product_revenue: ipc::WhopGetProductRevenue => |app, business| app.whop().product_revenue(business).await;
    revenue_overview: ipc::RevenueGetOverview => |app, query| app.revenue().overview(query).await;
    revenue_drill: ipc::RevenueDrill => |app, drill| app.revenue().drill(drill).await;
    revenue_figure_customers: ipc::RevenueFigureCustomers => |app, query| app.revenue().figure_customers(query).await;
    recover_list: ipc::RecoverGetList => |app, scope| app.revenue().recover(scope).await;
    churn_segments: ipc::ChurnGetSegments => |app, scope| app.revenue().segments(scope).await;
    churn_customers: ipc::ChurnGetCustomers => |app, query| app.revenue().churn_customers(query).await;
    whop_deal_membership: ipc::WhopGetDealMembership => |app, id| app.whop().deal_membership(id).await;
    whop_promo_codes: ipc::WhopListPromoCodes => |app, business| app.whop().promo_codes(business).await;
    whop_action: ipc::WhopRunAction => |app, action| app.whop().run_action(&action, SOURCE).await;
    outbox_summary: ipc::OutboxGetSummary => |app, _unit| app.outbox().summary().await;
    outbox_list: ipc::OutboxList => |app, include_finished| app.outbox().list(include_finished).await;
    outbox_retry: ipc::OutboxRetry => |app, id| app.outbox().retry(id).await;
    outbox_discard: ipc::OutboxDiscard => |app, id| app.outbox().discard(id).await;
    conflicts_list: ipc::ConflictsList => |app, _unit| app.outbox().conflicts(false).await;
    conflict_resolve: ipc::ConflictResolve => |app, request| app.outbox().resolve(request.id, request.keep, SOURCE).await;
    restore_field_value: ipc::RestoreField => |app, request| app.restore_field_value(request, SOURCE).await;
    ai_status: ipc::AiGetStatus => |app, _unit| app.ai().status().await;
    ai_save_settings: ipc::AiSaveSettings => |app, save| app.ai().save_settings(save).await;
    ai_test_connection: ipc::AiTestConnection => |app, _unit| app.ai().test_connection().await;
    ai_run: ipc::AiRun => |app, request| app.ai().run(&request, SOURCE).await;
    ai_insights: ipc::AiGetInsights => |app, record| app.ai().insights(record).await;
    ai_dismiss_result: ipc::AiDismissResult => |app, id| app.ai().dismiss(id).await;
    ai_save_result_as_note: ipc::AiSaveResultAsNote => |app, id| app.ai().save_as_note(id, SOURCE).await;
    ai_open_draft_in_mail: ipc::AiOpenDraftInMail => |app, request| app.ai().open_draft_in_mail(&request);
    ai_usage: ipc::AiGetUsage => |app, _unit| app.ai().usage().await;
    prompt_templates: ipc::PromptTemplatesList => |app, _unit| app.ai().templates().await;
    prompt_template_versions: ipc::PromptTemplateVersions => |app, id| app.ai().template_versions(id).await;
    prompt_template_save: ipc::PromptTemplateSave => |app, save| app.ai().save_template(&save).await;
    prompt_template_activate: ipc::PromptTemplateActivate => |app, id| app.ai().activate_template(id).await;
    prompt_preview: ipc::PromptTemplatePreview => |app, request| app.ai().preview(&request).await;
    prompt_merge_fields: ipc::PromptMergeFields => |app, request| app.ai().merge_fields(request.kind).await;
    workflows_list: ipc::WorkflowsList => |app, _unit| app.automation().list().await;
    workflow_save: ipc::WorkflowSave => |app, save| app.automation().save(&save).await;
    workflow_delete: ipc::WorkflowDelete => |app, id| app.automation().delete(id).await;
    workflow_run: ipc::WorkflowRunNow => |app, request| app.automation().run_now(request.workflow, request.record).await;
    workflow_runs: ipc::WorkflowRuns => |app, query| app.automation().runs(query.workflow, query.limit).await;
    esign_status: ipc::EsignGetStatus => |app, _unit| app.esign().status().await;
    esign_save_settings: ipc::EsignSaveSettings => |app, save| app.esign().save_settings(save).await;
    esign_connect_docusign: ipc::EsignConnectDocuSign => |app, _unit| app.esign().start_docusign_app_login().await.inspect(|started| {
        dealdesk_core::browser::open_in_browser(&started.authorize_url);
    });
    esign_disconnect_docusign: ipc::EsignDisconnectDocuSign => |app, _unit| app.esign().docusign_logout().await;
    esign_remove_dropbox_sign_key: ipc::EsignRemoveDropboxSignKey => |app, _unit| app.esign().remove_dropbox_sign_key().await;
    contract_templates: ipc::ContractTemplatesList => |app, _unit| app.esign().templates().await;
    contract_template_save: ipc::ContractTemplateSave => |app, save| app.esign().save_template(&save).await;
    contract_template_delete: ipc::ContractTemplateDelete => |app, id| app.esign().delete_template(id).await;
    contract_preview: ipc::ContractPreviewRender => |app, request| app.esign().preview(&request).await;
    contract_fields: ipc::ContractFields => |app, deal| app.esign().fields(deal).await;
    contract_send: ipc::ContractSend => |app, request| app.esign().send(&request, SOURCE).await;
    contracts_for_deal: ipc::ContractsForDeal => |app, deal| app.esign().for_deal(deal).await;
    contract_refresh: ipc::ContractRefresh => |app, id| app.esign().refresh(id).await;
    contract_void: ipc::ContractVoid => |app, (id, reason)| app.esign().void(id, &reason, SOURCE).await;
    contract_pdf: ipc::ContractOpenPdf => |app, id| app.esign().open_pdf(id).await;
    contract_export_pdf: ipc::ContractExportPdf => |app, id| app.export_contract_pdf(id).await;
    welcome: ipc::WelcomeGet => |app, _unit| app.welcome().await;
    welcome_dismiss: ipc::WelcomeDismiss => |app, _unit| app.dismiss_welcome().await;
    sample_data_load: ipc::SampleDataLoad => |app, _unit| app.load_sample_workspace(SOURCE).await;
    import_csv: ipc::ImportCsv => |app, request| app.import_csv_file(&request, SOURCE).await;
    backups_list: ipc::BackupsList => |app, _unit| app.backups().await;
    backup_restore: ipc::BackupRestore => |app, name| app.schedule_restore(&name).await;
    backup_restore_cancel: ipc::BackupRestoreCancel => |app, _unit| app.cancel_restore().await;
    diagnostics: ipc::DiagnosticsGet => |app, _unit| app.diagnostics().await;
    open_logs_folder: ipc::OpenLogsFolder => |app, _unit| app.open_logs_folder();
    team_status: ipc::TeamGetStatus => |app, _unit| app.workspace().status().await;
    team_init: ipc::TeamCreate => |app, init| app.workspace().init(&init.url, init.password, &init.name, &init.email).await;
    team_invite: ipc::TeamInviteMember => |app, invite| app.workspace().invite(&invite.email, invite.access).await;
    team_join: ipc::TeamJoin => |app, code| app.workspace().join(&code).await;
    team_sync_now: ipc::TeamSyncNow => |app, _unit| app.workspace().sync_once().await;
    team_members: ipc::TeamListMembers => |app, _unit| app.workspace().members().await;
    team_remove: ipc::TeamRemoveMember => |app, email| app.workspace().remove(&email).await;
    team_leave: ipc::TeamLeave => |app, _unit| app.workspace().leave().await;
    team_upgrade_hub: ipc::TeamUpgradeHub => |app, _unit| app.workspace().upgrade_hub().await;
    team_run_whop_here: ipc::TeamRunWhopHere => |app, _unit| app.workspace().run_whop_here().await;
    team_held: ipc::TeamListHeld => |app, _unit| app.workspace().held().await;
    team_discard_held: ipc::TeamDiscardHeld => |app, hub_seq| app.workspace().discard_held(hub_seq).await;
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
