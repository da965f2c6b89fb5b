//! SVG charts drawn from Rust (no JavaScript chart library): bars and a line.

use crate::state::charts::{bars, line_points, path, ticks};
use yew::prelude::*;

const W: f64 = 560.0;
const H: f64 = 200.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// `(label, value, value shown on hover)`.
    pub data: Vec<(String, f64, String)>,
    pub title: AttrValue,
    /// Formats axis values.
    #[prop_or(Callback::from(|v: f64| format!("{v:.0}")))]
    pub axis: Callback<f64, String>,
    /// A longer description for screen readers (the SVG's `<desc>`).
    #[prop_or_default]
    pub description: Option<AttrValue>,
    /// Bars become buttons (click, Enter or Space) that report their index.
    #[prop_or_default]
    pub on_select: Option<Callback<usize>>,
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

fn axis(max: f64, fmt: &Callback<f64, String>) -> Html {
    html! {
        { for ticks(max, 4).into_iter().map(|t| {
            let y = H - (t / ticks(max, 4).last().copied().unwrap_or(1.0).max(1e-9)) * H;
            html! {
                <g>
                    <line class="grid" x1={LEFT.to_string()} x2={(LEFT + W).to_string()} y1={y.to_string()} y2={y.to_string()} />
                    <text class="axis" x={(LEFT - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ fmt.emit(t) }</text>
                </g>
            }
        }) }
    }
}

#[function_component(BarChart)]
pub fn bar_chart(props: &ChartProps) -> Html {
    let values: Vec<f64> = props.data.iter().map(|d| d.1).collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let geometry = bars(&values, W, H, 18.0);
    // With selectable bars the chart is a group of buttons; otherwise one image.
    let role = if props.on_select.is_some() { "group" } else { "img" };
    html! {
        <svg id={props.id.clone()} class="chart" viewBox={format!("0 0 {} {}", LEFT + W + 8.0, H + BOTTOM)} {role} aria-label={props.title.clone()}>
            if let Some(description) = &props.description { <desc>{ description.clone() }</desc> }
            { axis(max, &props.axis) }
            { for geometry.iter().zip(&props.data).enumerate().map(|(i, (b, (label, _, shown)))| {
                let (onclick, onkeydown) = match props.on_select.clone() {
                    Some(select) => {
                        let on_key = select.clone();
                        (
                            Some(Callback::from(move |_: MouseEvent| select.emit(i))),
                            Some(Callback::from(move |e: KeyboardEvent| {
                                if e.key() == "Enter" || e.key() == " " {
                                    e.prevent_default();
                                    on_key.emit(i);
                                }
                            })),
                        )
                    }
                    None => (None, None),
                };
                let selectable = onclick.is_some();
                html! {
                    <g class="bar" data-index={i.to_string()} role={selectable.then_some("button")}
                        tabindex={selectable.then_some("0")} aria-label={selectable.then(|| shown.clone())} {onclick} {onkeydown}>
                        <rect x={(LEFT + b.x).to_string()} y={b.y.to_string()} width={b.width.to_string()} height={b.height.to_string()} rx="3">
                            <title>{ format!("{label}: {shown}") }</title>
                        </rect>
                        <text class="axis" x={(LEFT + b.x + b.width / 2.0).to_string()} y={(H + 18.0).to_string()} text-anchor="middle">{ label.clone() }</text>
                    </g>
                }
            }) }
        </svg>
    }
}

#[function_component(LineChart)]
pub fn line_chart(props: &ChartProps) -> Html {
    let values: Vec<f64> = props.data.iter().map(|d| d.1).collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let points: Vec<(f64, f64)> = line_points(&values, W, H).into_iter().map(|(x, y)| (x + LEFT, y)).collect();
    html! {
        <svg class="chart" viewBox={format!("0 0 {} {}", LEFT + W + 8.0, H + BOTTOM)} role="img" aria-label={props.title.clone()}>
            { axis(max, &props.axis) }
            <path class="line" d={path(&points)} />
            { for points.iter().zip(&props.data).enumerate().map(|(i, ((x, y), (label, _, shown)))| html! {
                <g>
                    <circle class="dot" cx={x.to_string()} cy={y.to_string()} r="3.5"><title>{ format!("{label}: {shown}") }</title></circle>
                    if i % 2 == 0 {
                        <text class="axis" x={x.to_string()} y={(H + 18.0).to_string()} text-anchor="middle">{ label.clone() }</text>
                    }
                </g>
            }) }
        </svg>
    }
}
