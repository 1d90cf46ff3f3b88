//! The timeline picture of the HTML report: phases against the clock's deadlines.

use super::*;

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A picture of the response against the clock: one bar per phase from its first to its last
/// settled step, placed by when each step happened (`--at`, else when it was recorded), a band
/// per law-enforcement hold, a dashed line per obligation's due date, a dot per notice sent, and
/// today.
pub(crate) fn timeline_svg(
    incident: &Incident,
    clock: &Clock,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> String {
    let day_of = |ts: &str| {
        DateTime::parse_from_rfc3339(ts)
            .ok()
            .map(|t| cal.local_date(t.with_timezone(&Utc)))
    };
    let start = incident.discovered.date;
    let today = cal.local_date(now);
    let mut end = today.max(start + chrono::Duration::days(60));
    for o in &clock.obligations {
        end = end.max(o.due);
    }
    for n in &incident.notices {
        end = end.max(n.value.date);
    }
    let scale = Scale {
        start,
        left: 150.0,
        width: 600.0,
        span: (end - start).num_days().max(1) as f64 + 2.0,
    };
    let (left, width) = (scale.left, scale.width);
    let x = |d: NaiveDate| scale.x(d);
    let mut canvas = Canvas {
        rows: Vec::new(),
        y: 30.0,
    };
    phase_rows(incident, &scale, &day_of, &mut canvas);
    hold_rows(incident, &scale, &mut canvas);
    obligation_rows(clock, &scale, &mut canvas);
    let Canvas { rows, y } = canvas;
    let height = y + 24.0;
    let xt = x(today);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 {height:.0}" role="img" aria-label="Timeline of the response against the regulatory deadlines" font-family="Helvetica, Arial, sans-serif">"#
    );
    svg.push_str(&format!(
        r##"<line x1="{left}" x2="{:.1}" y1="20" y2="20" stroke="#c9ced6"/><text x="{left}" y="14" font-size="10">discovered {start}</text><text x="{:.1}" y="14" font-size="10" text-anchor="end">{end}</text>"##,
        left + width,
        left + width
    ));
    svg.push_str(&format!(
        r##"<line x1="{xt:.1}" x2="{xt:.1}" y1="20" y2="{:.1}" stroke="#9a6700" stroke-width="1"/><text x="{xt:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#9a6700">today {today}</text>"##,
        height - 16.0,
        height - 4.0
    ));
    for r in rows {
        svg.push_str(&r);
    }
    svg.push_str("</svg>");
    svg
}

/// Where a day falls across the picture.
struct Scale {
    start: NaiveDate,
    left: f64,
    width: f64,
    /// Days shown, with a day's margin each side.
    span: f64,
}

impl Scale {
    fn x(&self, d: NaiveDate) -> f64 {
        self.left + self.width * ((d - self.start).num_days() as f64 + 1.0) / self.span
    }
}

/// The picture's rows so far, and where the next one goes.
struct Canvas {
    rows: Vec<String>,
    y: f64,
}

const ROW_HEIGHT: f64 = 22.0;

/// One row per phase: a bar from its first to its last settled step.
fn phase_rows(
    incident: &Incident,
    scale: &Scale,
    day_of: &dyn Fn(&str) -> Option<NaiveDate>,
    canvas: &mut Canvas,
) {
    let views = incident.step_views();
    for phase in Phase::ALL {
        let settled: Vec<(NaiveDate, Option<NaiveDate>)> = views
            .iter()
            .filter(|v| v.phase == phase && v.state() != StepState::Open)
            .filter_map(|v| v.record)
            .filter_map(|r| {
                let recorded = day_of(&r.at)?;
                match r.happened.as_deref().and_then(day_of) {
                    Some(happened) if happened != recorded => Some((happened, Some(recorded))),
                    _ => Some((recorded, None)),
                }
            })
            .collect();
        let days: Vec<NaiveDate> = settled.iter().map(|(d, _)| *d).collect();
        let recorded_later: Vec<String> = settled
            .iter()
            .filter_map(|(d, r)| r.map(|r| format!("{d} (recorded {r})")))
            .collect();
        canvas.rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">{}</text>"#,
            canvas.y + 11.0,
            phase.name()
        ));
        if let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) {
            let (x1, x2) = (scale.x(*first), scale.x(*last));
            canvas.rows.push(format!(
                r##"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" rx="2" fill="#4c6ef5"><title>{} settled {first} to {last}{}</title></rect>"##,
                canvas.y + 2.0,
                (x2 - x1).max(4.0),
                phase.name(),
                if recorded_later.is_empty() {
                    String::new()
                } else {
                    format!("; happened earlier than recorded: {}", recorded_later.join(", "))
                }
            ));
        } else {
            canvas.rows.push(format!(
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#5b6470">no step settled yet</text>"##,
                scale.left + 4.0,
                canvas.y + 11.0
            ));
        }
        canvas.y += ROW_HEIGHT;
    }
}

/// A row of the law-enforcement holds, when there are any.
fn hold_rows(incident: &Incident, scale: &Scale, canvas: &mut Canvas) {
    let holds = crate::incident::obligations::hold_periods(
        &incident.facts.law_enforcement_holds,
        incident.facts.hold_lifted_on,
    );
    if !holds.is_empty() {
        canvas.rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">law-enforcement hold</text>"#,
            canvas.y + 11.0
        ));
        for h in &holds {
            let (x1, x2) = (
                scale.x(h.from),
                scale.x(h.until + chrono::Duration::days(1)),
            );
            canvas.rows.push(format!(
                r##"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" fill="#9a6700" fill-opacity="0.35"><title>notices held {} to {}</title></rect>"##,
                canvas.y + 2.0,
                (x2 - x1).max(3.0),
                h.from,
                h.until
            ));
        }
        canvas.y += ROW_HEIGHT;
    }
}

/// One row per obligation: its due date, any hold, and the notice that met it.
fn obligation_rows(clock: &Clock, scale: &Scale, canvas: &mut Canvas) {
    let start = scale.start;
    for o in &clock.obligations {
        let label = o.label();
        let late = matches!(o.status, Status::Overdue | Status::MetLate);
        let colour = if late { "#b42318" } else { "#1b1f24" };
        canvas.rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">{}</text>"#,
            canvas.y + 11.0,
            xml(&label)
        ));
        let xd = scale.x(o.due);
        canvas.rows.push(format!(
            r#"<line x1="{xd:.1}" x2="{xd:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 2"><title>due {}</title></line>"#,
            canvas.y,
            canvas.y + 16.0,
            o.due
        ));
        if let Some(h) = o.held_until {
            canvas.rows.push(format!(
                r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#9a6700" stroke-width="3"><title>held until {h}</title></line>"##,
                scale.x(start),
                scale.x(h),
                canvas.y + 8.0,
                canvas.y + 8.0
            ));
        }
        if let Some(m) = o.met_on {
            canvas.rows.push(format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="4.5" fill="{}"><title>sent {m}</title></circle>"#,
                scale.x(m),
                canvas.y + 8.0,
                if late { "#b42318" } else { "#1a7f37" }
            ));
        }
        canvas.y += ROW_HEIGHT;
    }
}
