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
    let span = (end - start).num_days().max(1) as f64 + 2.0;
    let (left, width) = (150.0, 600.0);
    let x = |d: NaiveDate| left + width * ((d - start).num_days() as f64 + 1.0) / span;
    let row_h = 22.0;
    let mut rows: Vec<String> = Vec::new();
    let mut y = 30.0;
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
        rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">{}</text>"#,
            y + 11.0,
            phase.name()
        ));
        if let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) {
            let (x1, x2) = (x(*first), x(*last));
            rows.push(format!(
                r##"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" rx="2" fill="#4c6ef5"><title>{} settled {first} to {last}{}</title></rect>"##,
                y + 2.0,
                (x2 - x1).max(4.0),
                phase.name(),
                if recorded_later.is_empty() {
                    String::new()
                } else {
                    format!("; happened earlier than recorded: {}", recorded_later.join(", "))
                }
            ));
        } else {
            rows.push(format!(
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#5b6470">no step settled yet</text>"##,
                left + 4.0,
                y + 11.0
            ));
        }
        y += row_h;
    }
    let holds = crate::incident::obligations::hold_periods(
        &incident.facts.law_enforcement_holds,
        incident.facts.hold_lifted_on,
    );
    if !holds.is_empty() {
        rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">law-enforcement hold</text>"#,
            y + 11.0
        ));
        for h in &holds {
            let (x1, x2) = (x(h.from), x(h.until + chrono::Duration::days(1)));
            rows.push(format!(
                r##"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" fill="#9a6700" fill-opacity="0.35"><title>notices held {} to {}</title></rect>"##,
                y + 2.0,
                (x2 - x1).max(3.0),
                h.from,
                h.until
            ));
        }
        y += row_h;
    }
    for o in &clock.obligations {
        let label = o.label();
        let late = matches!(o.status, Status::Overdue | Status::MetLate);
        let colour = if late { "#b42318" } else { "#1b1f24" };
        rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">{}</text>"#,
            y + 11.0,
            xml(&label)
        ));
        let xd = x(o.due);
        rows.push(format!(
            r#"<line x1="{xd:.1}" x2="{xd:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 2"><title>due {}</title></line>"#,
            y,
            y + 16.0,
            o.due
        ));
        if let Some(h) = o.held_until {
            rows.push(format!(
                r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#9a6700" stroke-width="3"><title>held until {h}</title></line>"##,
                x(start),
                x(h),
                y + 8.0,
                y + 8.0
            ));
        }
        if let Some(m) = o.met_on {
            rows.push(format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="4.5" fill="{}"><title>sent {m}</title></circle>"#,
                x(m),
                y + 8.0,
                if late { "#b42318" } else { "#1a7f37" }
            ));
        }
        y += row_h;
    }
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
