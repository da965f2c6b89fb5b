//! Settings → Team (`#team-settings`): make a workspace on an empty PostgreSQL database or join one
//! with a code; once in one, its state (last sync, waiting changes, the last error), Sync now,
//! the members (the owner invites and removes), and Leave.

use crate::components::controls::{Button, Input, Select, TextArea, Tone};
use crate::components::display::{Card, IconText, Skeleton};
use crate::components::hooks::use_core_events;
use crate::components::overlay::ConfirmDialog;
use crate::components::toasts::use_notifier;
use crate::ipc::invoke;
use crate::pages::whop::copy_to_clipboard;
use crate::state::team::{access_label, last_sync_text, whop_runner};
use dealdesk_model::ipc::{
    CoreEvent, TeamCreate, TeamDiscardHeld, TeamGetStatus, TeamInviteMember, TeamJoin, TeamLeave, TeamListHeld,
    TeamListMembers, TeamRemoveMember, TeamRunWhopHere, TeamSyncNow, TeamUpgradeHub,
};
use dealdesk_model::team::{
    HUB_SCHEMA_VERSION, TeamAccess, TeamHeldChange, TeamInit, TeamInvite, TeamMember, TeamStatus,
};
use yew::prelude::*;

type Loaded<T> = Option<Result<T, String>>;

/// The Team tab of Settings.
#[function_component(TeamSettings)]
pub fn team_settings() -> Html {
    let status = use_state(|| None::<Result<Option<TeamStatus>, String>>);
    {
        let status = status.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                status.set(Some(invoke::<TeamGetStatus>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    {
        let status = status.clone();
        use_core_events(Callback::from(move |event: CoreEvent| {
            if let CoreEvent::TeamChanged { status: next } = event {
                status.set(Some(Ok(next)));
            }
        }));
    }
    let on_linked = {
        let status = status.clone();
        Callback::from(move |next: TeamStatus| status.set(Some(Ok(Some(next)))))
    };
    html! {
        <div class="team-settings" id="team-settings">
            { match &*status {
                None => html! { <Skeleton rows={3} /> },
                Some(Err(message)) => html! { <div class="form-error" role="alert">{ message.clone() }</div> },
                Some(Ok(Some(current))) if current.left_at.is_none() => html! {
                    <>
                        <WorkspaceCard status={current.clone()} />
                        if current.held > 0 {
                            <HeldCard held={current.held} />
                        }
                        <MembersCard owner={current.access == TeamAccess::Owner} />
                    </>
                },
                Some(Ok(left)) => html! {
                    <>
                        if let Some(left) = left {
                            <div class="notice" id="team-left" role="status">
                                { format!("This computer left {} ({}). Its copy of the CRM stays as it was; join again with a new code.",
                                    left.workspace_name, left.left_reason.clone().unwrap_or_else(|| "left".into())) }
                            </div>
                        }
                        <JoinCard on_linked={on_linked.clone()} />
                        <CreateCard {on_linked} />
                    </>
                },
            } }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct LinkedProps {
    on_linked: Callback<TeamStatus>,
}

/// `#team-join`: paste a join code.
#[function_component(JoinCard)]
fn join_card(props: &LinkedProps) -> Html {
    let code = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let join = {
        let (code, error, busy, on_linked) = (code.clone(), error.clone(), busy.clone(), props.on_linked.clone());
        Callback::from(move |_: MouseEvent| {
            busy.set(true);
            let (code, error, busy, on_linked) = ((*code).clone(), error.clone(), busy.clone(), on_linked.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<TeamJoin>(&code).await;
                busy.set(false);
                match result {
                    Ok(status) => on_linked.emit(status),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let on_code = {
        let (code, error) = (code.clone(), error.clone());
        Callback::from(move |text: String| {
            error.set(None);
            code.set(text);
        })
    };
    html! {
        <Card title={AttrValue::from("Join a team workspace")} id="team-join">
            <p class="muted">{ "Paste the join code the workspace's owner sent you. Your CRM stays on this computer and works offline; edits are shared when you are online." }</p>
            <TextArea id="team-join-code" label="Join code" value={(*code).clone()} rows={3}
                placeholder="ddj1.…" error={(*error).clone().map(AttrValue::from)} on_change={on_code} />
            <div class="inline-form">
                <Button tone={Tone::Primary} id="team-join-submit" disabled={*busy || code.trim().is_empty()} onclick={join}>
                    { if *busy { "Joining…" } else { "Join" } }
                </Button>
            </div>
        </Card>
    }
}

/// `#team-create`: make the hub on an empty PostgreSQL database, as its owner.
#[function_component(CreateCard)]
fn create_card(props: &LinkedProps) -> Html {
    let form = use_state(|| TeamInit { url: String::new(), password: None, name: "Team".into(), email: String::new() });
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let edit = |apply: fn(&mut TeamInit, String)| {
        let (form, error) = (form.clone(), error.clone());
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            apply(&mut next, value);
            error.set(None);
            form.set(next);
        })
    };
    let create = {
        let (form, error, busy, on_linked) = (form.clone(), error.clone(), busy.clone(), props.on_linked.clone());
        Callback::from(move |_: MouseEvent| {
            busy.set(true);
            let (request, error, busy, on_linked) = ((*form).clone(), error.clone(), busy.clone(), on_linked.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<TeamCreate>(&request).await;
                busy.set(false);
                match result {
                    Ok(status) => on_linked.emit(status),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let ready = !form.url.trim().is_empty() && !form.email.trim().is_empty() && !form.name.trim().is_empty();
    html! {
        <Card title={AttrValue::from("Create a team workspace")} id="team-create">
            <p class="muted">{ "On an empty PostgreSQL database you own (any host, or your own server). Use sslmode=verify-full for a database on the internet. The password is kept in this computer's keyring." }</p>
            <Input id="team-url" label="Database URL" value={form.url.clone()} placeholder="postgres://owner@db.example.com/acme?sslmode=verify-full"
                on_change={edit(|f, v| f.url = v)} />
            <Input id="team-password" label="Password" kind="password" value={form.password.clone().unwrap_or_default()}
                on_change={edit(|f, v| f.password = Some(v).filter(|p| !p.is_empty()))} />
            <Input id="team-name" label="Workspace name" value={form.name.clone()} on_change={edit(|f, v| f.name = v)} />
            <Input id="team-email" label="Your email" kind="email" value={form.email.clone()} on_change={edit(|f, v| f.email = v)} />
            if let Some(message) = &*error {
                <div class="form-error" id="team-create-error" role="alert">{ message.clone() }</div>
            }
            <div class="inline-form">
                <Button tone={Tone::Primary} id="team-create-submit" disabled={*busy || !ready} onclick={create}>
                    { if *busy { "Creating…" } else { "Create workspace" } }
                </Button>
            </div>
        </Card>
    }
}

#[derive(Properties, PartialEq)]
struct WorkspaceProps {
    status: TeamStatus,
}

/// `#team-status`: the workspace, this computer's role, the last sync, Sync now and Leave.
#[function_component(WorkspaceCard)]
fn workspace_card(props: &WorkspaceProps) -> Html {
    let status = &props.status;
    let notifier = use_notifier();
    let syncing = use_state(|| false);
    let leaving = use_state(|| false);
    let leave_error = use_state(|| None::<String>);
    let sync = {
        let (syncing, notifier) = (syncing.clone(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            syncing.set(true);
            let (syncing, notifier) = (syncing.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<TeamSyncNow>(&()).await;
                syncing.set(false);
                if let Some(n) = &notifier {
                    match result {
                        Ok(report) => n.success(format!("Synced: {} sent, {} received", report.pushed, report.applied)),
                        Err(e) => n.error(e.message),
                    }
                }
            });
        })
    };
    let ask_leave = {
        let leaving = leaving.clone();
        Callback::from(move |_: MouseEvent| leaving.set(true))
    };
    let leave = {
        let (leaving, leave_error) = (leaving.clone(), leave_error.clone());
        Callback::from(move |_: ()| {
            let (leaving, leave_error) = (leaving.clone(), leave_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<TeamLeave>(&()).await {
                    Ok(()) => leaving.set(false),
                    Err(e) => leave_error.set(Some(e.message)),
                }
            });
        })
    };
    let close_leave = {
        let leaving = leaving.clone();
        Callback::from(move |_: ()| leaving.set(false))
    };
    let upgrading = use_state(|| false);
    let upgrade = {
        let (upgrading, notifier) = (upgrading.clone(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            upgrading.set(true);
            let (upgrading, notifier) = (upgrading.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<TeamUpgradeHub>(&()).await;
                upgrading.set(false);
                if let Some(n) = &notifier {
                    match result {
                        Ok(from) => {
                            n.success(format!("The hub went from schema version {from} to {HUB_SCHEMA_VERSION}"))
                        }
                        Err(e) => n.error(e.message),
                    }
                }
            });
        })
    };
    let taking_whop = use_state(|| false);
    let take_whop = {
        let (taking_whop, notifier) = (taking_whop.clone(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            taking_whop.set(true);
            let (taking_whop, notifier) = (taking_whop.clone(), notifier.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<TeamRunWhopHere>(&()).await;
                taking_whop.set(false);
                if let Some(n) = &notifier {
                    match result {
                        Ok(_) => n.success("Whop automations run on this computer from now on"),
                        Err(e) => n.error(e.message),
                    }
                }
            });
        })
    };
    let (whop_runner, may_take_whop) = whop_runner(status);
    let outdated = status.hub_version.filter(|v| *v < HUB_SCHEMA_VERSION);
    let now = crate::state::format::now();
    html! {
        <Card title={AttrValue::from("Team workspace")} id="team-status">
            <IconText label="Workspace" text={status.workspace_name.clone()} />
            <IconText label="Hub" text={status.hub.clone()} />
            <IconText label="You" text={format!("{} · {}", status.email, access_label(status.access))} />
            <IconText label="Last sent" text={last_sync_text(status.last_push_at, now)} />
            <IconText label="Last received" text={last_sync_text(status.last_pull_at, now)} />
            <IconText label="Waiting to send" text={if status.access == TeamAccess::ReadOnly { "read-only: your edits stay on this computer".to_string() } else { status.waiting.to_string() }} />
            if status.held > 0 {
                <IconText label="Held" text={format!("{} received changes wait for what they need", status.held)} />
            }
            if status.left_at.is_none() {
                <div id="team-whop-runner" title="Workflows triggered by Whop events run on one computer of the workspace, so a customer is never messaged twice">
                    <IconText label="Whop automations" text={whop_runner} />
                </div>
                if may_take_whop {
                    <div class="inline-form">
                        <Button small=true id="team-whop-here" disabled={*taking_whop} onclick={take_whop}>
                            { "Run Whop automations on this computer" }
                        </Button>
                    </div>
                }
            }
            if let Some(error) = &status.last_error {
                <div class="form-error" id="team-last-error" role="alert">{ format!("Last sync: {error}") }</div>
            }
            if let Some(version) = outdated {
                <div class="notice" id="team-hub-outdated" role="status">
                    if status.access == TeamAccess::Owner {
                        { format!("The hub runs schema version {version}, made by an older Dealdesk; this one knows version {HUB_SCHEMA_VERSION}, which adds the hub's own check of the desktops' clocks. Members on an older Dealdesk will be asked to update it.") }
                        <div class="inline-form">
                            <Button id="team-upgrade-hub" disabled={*upgrading} onclick={upgrade}>{ if *upgrading { "Upgrading…" } else { "Upgrade the hub" } }</Button>
                        </div>
                    } else {
                        { format!("The hub runs schema version {version}; its owner can upgrade it to {HUB_SCHEMA_VERSION}. Syncing works meanwhile.") }
                    }
                </div>
            }
            <div class="inline-form">
                <Button tone={Tone::Primary} id="team-sync-now" disabled={*syncing} onclick={sync}>
                    { if *syncing { "Syncing…" } else { "Sync now" } }
                </Button>
                <Button tone={Tone::Danger} id="team-leave" onclick={ask_leave}>{ "Leave workspace…" }</Button>
            </div>
            if *leaving {
                <ConfirmDialog title="Leave the team workspace?" id="team-leave-dialog" confirm_id="team-leave-confirm"
                    confirm_label="Leave" danger={true} error={(*leave_error).clone().map(AttrValue::from)}
                    on_confirm={leave} on_close={close_leave}>
                    <p>{ format!("This computer stops syncing with {}. Its copy of the CRM stays as it is; edits made from now on stay here.", status.workspace_name) }</p>
                </ConfirmDialog>
            }
        </Card>
    }
}

#[derive(Properties, PartialEq)]
struct HeldProps {
    /// How many wait (read again when it changes).
    held: i64,
}

/// `#team-held`: changes from other desktops that cannot be applied here yet, and why. Each is
/// tried again at every sync; one can be discarded, and this computer keeps its own version.
#[function_component(HeldCard)]
fn held_card(props: &HeldProps) -> Html {
    let held = use_state(|| None::<Result<Vec<TeamHeldChange>, String>>);
    let reload = use_state(|| 0u32);
    {
        let held = held.clone();
        use_effect_with((props.held, *reload), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                held.set(Some(invoke::<TeamListHeld>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    let discarding = use_state(|| None::<i64>);
    let discard_error = use_state(|| None::<String>);
    let discard = {
        let (discarding, discard_error, reload) = (discarding.clone(), discard_error.clone(), reload.clone());
        Callback::from(move |_: ()| {
            let Some(hub_seq) = *discarding else { return };
            let (discarding, discard_error, reload) = (discarding.clone(), discard_error.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<TeamDiscardHeld>(&hub_seq).await {
                    Ok(()) => {
                        discarding.set(None);
                        reload.set(*reload + 1);
                    }
                    Err(e) => discard_error.set(Some(e.message)),
                }
            });
        })
    };
    let close = {
        let discarding = discarding.clone();
        Callback::from(move |_: ()| discarding.set(None))
    };
    let rows = match &*held {
        None => html! { <Skeleton rows={2} /> },
        Some(Err(message)) => html! { <div class="form-error" role="alert">{ message.clone() }</div> },
        Some(Ok(list)) => html! {
            <table class="whop-table team-held-table">
                <thead><tr><th>{ "From" }</th><th>{ "What" }</th><th>{ "Why it waits" }</th><th /></tr></thead>
                <tbody>
                    { for list.iter().map(|h| {
                        let ask = {
                            let (discarding, discard_error, hub_seq) = (discarding.clone(), discard_error.clone(), h.hub_seq);
                            Callback::from(move |_: MouseEvent| { discard_error.set(None); discarding.set(Some(hub_seq)); })
                        };
                        html! {
                            <tr class="team-held-change" data-hub-seq={h.hub_seq.to_string()}>
                                <td>{ h.author.clone() }</td>
                                <td>{ h.what.clone() }</td>
                                <td>{ h.reason.clone() }</td>
                                <td>
                                    <Button small={true} class="team-discard-held" title={AttrValue::from(format!("Discard change {}", h.hub_seq))} onclick={ask}>{ "Discard…" }</Button>
                                </td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <Card title={AttrValue::from("Held changes")} id="team-held">
            <p class="muted">{ "Changes from other computers that cannot be applied here yet: what they change has not arrived, or a record here already has the email or domain they bring. Each is tried again at every sync." }</p>
            { rows }
            if discarding.is_some() {
                <ConfirmDialog title="Discard this change?" id="team-discard-dialog" confirm_id="team-discard-confirm"
                    confirm_label="Discard" danger={true} error={(*discard_error).clone().map(AttrValue::from)}
                    on_confirm={discard} on_close={close}>
                    <p>{ "This computer keeps its own version of what the change was about; the other computers keep theirs." }</p>
                </ConfirmDialog>
            }
        </Card>
    }
}

#[derive(Properties, PartialEq)]
struct MembersProps {
    owner: bool,
}

/// `#team-members`: who is in the workspace; the owner invites (a join code to send) and removes.
#[function_component(MembersCard)]
fn members_card(props: &MembersProps) -> Html {
    let members = use_state(|| None::<Result<Vec<TeamMember>, String>>);
    let reload = use_state(|| 0u32);
    // Each sync may bring a member who joined meanwhile: read the list again after it.
    let synced = use_state(|| 0u32);
    {
        let synced = synced.clone();
        use_core_events(Callback::from(move |event: CoreEvent| {
            if matches!(event, CoreEvent::TeamChanged { .. }) {
                synced.set(*synced + 1);
            }
        }));
    }
    {
        let members = members.clone();
        use_effect_with((*reload, *synced), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                members.set(Some(invoke::<TeamListMembers>(&()).await.map_err(|e| e.message)));
            });
        });
    }
    let removing = use_state(|| None::<String>);
    let remove_error = use_state(|| None::<String>);
    let remove = {
        let (removing, remove_error, reload) = (removing.clone(), remove_error.clone(), reload.clone());
        Callback::from(move |_: ()| {
            let Some(email) = (*removing).clone() else { return };
            let (removing, remove_error, reload) = (removing.clone(), remove_error.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match invoke::<TeamRemoveMember>(&email).await {
                    Ok(()) => {
                        removing.set(None);
                        reload.set(*reload + 1);
                    }
                    Err(e) => remove_error.set(Some(e.message)),
                }
            });
        })
    };
    let close_remove = {
        let removing = removing.clone();
        Callback::from(move |_: ()| removing.set(None))
    };
    let rows = match &*members {
        None => html! { <Skeleton rows={2} /> },
        Some(Err(message)) => html! { <div class="form-error" role="alert">{ message.clone() }</div> },
        Some(Ok(list)) => html! {
            <table class="whop-table team-members-table">
                <thead><tr><th>{ "Email" }</th><th>{ "Role" }</th><th>{ "State" }</th><th /></tr></thead>
                <tbody>
                    { for list.iter().map(|m| {
                        let state = if m.removed { "Removed" } else if m.joined { "Joined" } else { "Invited" };
                        let ask = {
                            let (removing, remove_error, email) = (removing.clone(), remove_error.clone(), m.email.clone());
                            Callback::from(move |_: MouseEvent| { remove_error.set(None); removing.set(Some(email.clone())); })
                        };
                        html! {
                            <tr class="team-member" data-email={m.email.clone()}>
                                <td>{ m.email.clone() }</td>
                                <td>{ access_label(m.access) }</td>
                                <td>{ state }</td>
                                <td>
                                    if props.owner && m.access != TeamAccess::Owner && !m.removed {
                                        <Button small={true} class="team-remove" title={AttrValue::from(format!("Remove {}", m.email))} onclick={ask}>{ "Remove…" }</Button>
                                    }
                                </td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <Card title={AttrValue::from("Members")} id="team-members">
            { rows }
            if props.owner {
                <InviteForm on_invited={Callback::from({ let reload = reload.clone(); move |_| reload.set(*reload + 1) })} />
            }
            if let Some(email) = &*removing {
                <ConfirmDialog title="Remove this member?" id="team-remove-dialog" confirm_id="team-remove-confirm"
                    confirm_label="Remove" danger={true} error={(*remove_error).clone().map(AttrValue::from)}
                    on_confirm={remove} on_close={close_remove}>
                    <p>{ format!("{email} loses access to the workspace at once. Their computer keeps the copy it has.") }</p>
                </ConfirmDialog>
            }
        </Card>
    }
}

#[derive(Properties, PartialEq)]
struct InviteProps {
    on_invited: Callback<()>,
}

/// The owner's invite: an email and a role give a join code to send them.
#[function_component(InviteForm)]
fn invite_form(props: &InviteProps) -> Html {
    let email = use_state(String::new);
    let role = use_state(|| "member".to_string());
    let code: UseStateHandle<Loaded<String>> = use_state(|| None);
    let busy = use_state(|| false);
    let notifier = use_notifier();
    let invite = {
        let (email, role, code, busy, on_invited) =
            (email.clone(), role.clone(), code.clone(), busy.clone(), props.on_invited.clone());
        Callback::from(move |_: MouseEvent| {
            let access = if *role == "read-only" { TeamAccess::ReadOnly } else { TeamAccess::Member };
            let request = TeamInvite { email: (*email).clone(), access };
            busy.set(true);
            let (code, busy, on_invited) = (code.clone(), busy.clone(), on_invited.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = invoke::<TeamInviteMember>(&request).await.map_err(|e| e.message);
                busy.set(false);
                if result.is_ok() {
                    on_invited.emit(());
                }
                code.set(Some(result));
            });
        })
    };
    let copy = {
        let (code, notifier) = (code.clone(), notifier.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(Ok(text)) = (*code).clone() else { return };
            let notifier = notifier.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let copied = copy_to_clipboard(&text).await;
                if let Some(n) = &notifier {
                    if copied {
                        n.success("Join code copied")
                    } else {
                        n.error("Could not copy; select the code and copy it")
                    }
                }
            });
        })
    };
    let on_email = {
        let (email, code) = (email.clone(), code.clone());
        Callback::from(move |text: String| {
            code.set(None);
            email.set(text);
        })
    };
    let on_role = {
        let role = role.clone();
        Callback::from(move |value: String| role.set(value))
    };
    html! {
        <div class="team-invite" id="team-invite">
            <div class="inline-form">
                <Input id="team-invite-email" label="Invite by email" kind="email" value={(*email).clone()} placeholder="ann@acme.com" on_change={on_email} />
                <Select id="team-invite-role" label="Role" value={(*role).clone()} on_change={on_role}
                    options={vec![(AttrValue::from("member"), AttrValue::from("Member (edits)")), (AttrValue::from("read-only"), AttrValue::from("Read-only"))]} />
                <Button tone={Tone::Primary} id="team-invite-submit" disabled={*busy || email.trim().is_empty()} onclick={invite}>{ "Invite" }</Button>
            </div>
            { match &*code {
                Some(Ok(text)) => html! {
                    <div class="team-invite-code">
                        <p class="muted">{ "Send this code to them privately; it works once. They paste it in Settings → Team → Join." }</p>
                        <textarea id="team-invite-code" readonly=true rows="3" aria-label="Join code" value={text.clone()} />
                        <Button id="team-invite-copy" onclick={copy}>{ "Copy code" }</Button>
                    </div>
                },
                Some(Err(message)) => html! { <div class="form-error" id="team-invite-error" role="alert">{ message.clone() }</div> },
                None => html! {},
            } }
        </div>
    }
}
