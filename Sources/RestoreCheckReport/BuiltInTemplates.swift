/// The report's built-in Mustache templates. A file `<name>.mustache` in `report.template_dir`
/// replaces the template of that name (README "Branding" lists the names and the values they see).
enum BuiltInTemplates {
    static let all: [(name: String, text: String)] = [
        ("report.html", reportHTML), ("report.md", reportMarkdown), ("index.html", indexHTML),
        ("style", style), ("evidence-rows.html", evidenceRowsHTML), ("evidence-rows.md", evidenceRowsMarkdown),
        ("evidence-details", evidenceDetails), ("chart-axes", chartAxes), ("chart-dates", chartDates), ("chart-age", chartAge), ("chart-restore", chartRestore), ("chart-strip", chartStrip),
    ]

    /// Self-contained: no script, nothing fetched (the Content-Security-Policy forbids it too), so
    /// the file opens offline and prints to a clean PDF.
    static let reportHTML = #"""
    {{% CONTENT_TYPE: HTML}}
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
    <title>Restore assurance — {{tenant}}</title>
    <style>{{> style}}</style>
    </head>
    <body>
    <svg width="0" height="0" aria-hidden="true" style="position:absolute"><defs>
    <pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="#fff"/><line x1="0" y1="0" x2="0" y2="4" stroke="#555" stroke-width="2"/></pattern>
    <marker id="dot" viewBox="0 0 6 6" refX="3" refY="3" markerWidth="6" markerHeight="6" markerUnits="userSpaceOnUse"><circle cx="3" cy="3" r="2.5" fill="#fff" stroke="#000"/></marker>
    <marker id="square" viewBox="0 0 6 6" refX="3" refY="3" markerWidth="6" markerHeight="6" markerUnits="userSpaceOnUse"><rect x="0.5" y="0.5" width="5" height="5" fill="#777" stroke="#000"/></marker>
    </defs></svg>
    <header>
    {{#has_logo}}<img class="logo" src="{{logo}}" alt="logo">{{/has_logo}}
    <div>
    <h1>Restore assurance report: {{tenant}}</h1>
    <p class="meta">{{#has_company}}Prepared by {{company}} · {{/has_company}}Period {{period_from}} to {{period_to}} · generated {{generated}} from the verifier's recorded history</p>
    </div>
    </header>
    <p class="headline" id="headline">{{targets_rpo_met}} of {{target_count}} backups have a verified restore point within their RPO now · {{tests_run}} restore test(s) in the period · {{open_breaches}} open breach(es)</p>
    <ul class="headlines" id="headlines">
    {{#headlines}}<li class="state-{{state}}"><span class="state">{{label}}</span> {{sentence}}</li>
    {{/headlines}}
    </ul>

    <h2>1. Summary</h2>
    <table class="summary" id="summary">
    <thead><tr><th>Backup</th><th>Verified backup age</th><th>RPO</th><th>Last result</th><th>RPO compliance</th><th>RTO compliance</th><th>Tests (passed / failed / error)</th><th>Files verified</th><th>Bytes verified</th></tr></thead>
    <tbody>
    {{#targets}}
    <tr data-target="{{target}}">
    <td>{{target}}</td>
    <td class="{{#rpo_met}}ok{{/rpo_met}}{{^rpo_met}}bad{{/rpo_met}}">{{verified_age}}{{^rpo_met}} ✗{{/rpo_met}}</td>
    <td>{{rpo}}</td>
    <td class="result-{{last_result}}">{{last_result}}{{#has_last_reasons}} ({{last_reasons}}){{/has_last_reasons}}<br><small>{{last_test}}</small></td>
    <td class="rpo-compliance">{{rpo_compliance}}</td>
    <td class="rto-compliance">{{rto_compliance}}</td>
    <td>{{tests_run}} ({{passed}} / {{failed}} / {{error}})</td>
    <td>{{files_verified}}</td>
    <td>{{bytes_verified}}</td>
    </tr>
    {{/targets}}
    </tbody>
    </table>
    {{#has_coverage}}
    <p>Coverage: how much of each backup's newest manifest was restored and verified within its rotation window.</p>
    <ul class="coverage" id="coverage">
    {{#targets}}{{#coverage}}<li data-target="{{target}}"><strong>{{target}}</strong>: {{statement}}</li>{{/coverage}}{{/targets}}
    </ul>
    {{/has_coverage}}

    <h2>2. Breach ledger</h2>
    {{#has_breaches}}
    <table class="ledger" id="ledger">
    <thead><tr><th>Backup</th><th>Event</th><th>Opened</th><th>Resolved</th><th>Duration</th><th>Detail</th></tr></thead>
    <tbody>
    {{#breaches}}
    <tr class="{{#open}}open{{/open}}" data-kind="{{kind}}" data-target="{{target}}"><td>{{target}}</td><td>{{kind_label}}</td><td>{{opened}}</td><td>{{resolved}}</td><td>{{duration}}</td><td>{{detail}}</td></tr>
    {{/breaches}}
    </tbody>
    </table>
    {{/has_breaches}}
    {{^has_breaches}}<p>No breach in the period.</p>{{/has_breaches}}

    <h2>3. Charts</h2>
    {{#targets}}
    <section class="charts" data-target="{{target}}">
    <h3>{{target}}</h3>
    {{#chart_age}}<p class="caption">{{title}}</p>{{> chart-age}}{{/chart_age}}
    {{#chart_restore}}<p class="caption">{{title}}</p>{{> chart-restore}}{{/chart_restore}}
    {{#chart_strip}}<p class="caption">{{title}}</p>{{> chart-strip}}{{/chart_strip}}
    </section>
    {{/targets}}

    <h2>4. Evidence</h2>
    {{#has_evidence}}
    <table class="evidence" id="evidence">
    <thead><tr><th>Test</th><th>Restore point</th><th>Sample</th><th>Result</th><th>Evidence-chain hash</th></tr></thead>
    <tbody>
    {{{evidence_rows}}}
    </tbody>
    </table>
    {{/has_evidence}}
    {{^has_evidence}}<p>No test finished in the period.</p>{{/has_evidence}}
    {{#has_restores}}
    <h3>Restores performed</h3>
    <p>Restores run with <code>restorecheck restore</code> in the period: each file checked against the manifest as it was written.</p>
    <table class="evidence" id="restores">
    <thead><tr><th>Target</th><th>Finished</th><th>Restore point</th><th>What</th><th>Files verified</th><th>Time</th><th>Result</th></tr></thead>
    <tbody>
    {{#restores}}<tr><td>{{target}}</td><td>{{finished}}</td><td>{{archive}}</td><td>{{what}}</td><td>{{files}} ({{bytes}})</td><td>{{duration}}</td><td class="result-{{status}}">{{status}}</td></tr>
    {{/restores}}
    </tbody>
    </table>
    {{/has_restores}}

    <h2>5. Control evidence</h2>
    <p>Which part of this report is evidence for which control. This is evidence for an assessor to judge, not a claim of certification.</p>
    <dl class="controls">
    {{#controls}}<dt>{{control}}</dt><dd>{{evidence}}</dd>{{/controls}}
    </dl>

    <h2>6. Method</h2>
    {{#method}}<h3>{{heading}}</h3><p>{{text}}</p>{{/method}}
    </body>
    </html>

    """#

    static let style = """
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
    header { display: flex; gap: 1em; align-items: center; }
    .logo { max-height: 56px; }
    h1 { font-size: 1.5em; margin: 0; } h2 { border-bottom: 1px solid #999; margin-top: 1.8em; } h3 { margin-bottom: .3em; }
    .meta { color: #444; margin: .2em 0; } .headline { font-size: 1.1em; font-weight: 600; }
    .headlines { list-style: none; padding: 0; }
    .headlines li { margin: .3em 0; padding: .35em .6em; border-left: .45em solid; }
    .headlines .state { font-weight: 700; display: inline-block; min-width: 9em; }
    .state-verified { background: #e6f4ea; border-color: #1e7b34 !important; border-left-style: solid; }
    .state-breached { background: #fde8e7; border-color: #b3261e !important; border-left-style: double !important; border-left-width: .6em !important; }
    .state-never { background: #eeeeee; border-color: #555 !important; border-left-style: dashed !important; }
    table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
    th { background: #eee; } .bad { font-weight: 700; } .result-failed { font-weight: 700; } .result-error { font-style: italic; }
    tr.open td { font-weight: 600; } .path, .hash { word-break: break-all; } code { font-size: .85em; }
    svg.chart { display: block; margin: .3em 0; max-width: 100%; height: auto; }
    svg.chart text { font-size: 10px; fill: #222; } svg.chart .axis { stroke: #444; stroke-width: 1; }
    svg.chart .limit { stroke: #000; stroke-width: 1.2; stroke-dasharray: 6 4; }
    svg.chart .series { fill: none; stroke: #222; stroke-width: 1.6; }
    svg.chart .measured { fill: none; stroke: #000; stroke-width: 1.2; marker-start: url(#dot); marker-mid: url(#dot); marker-end: url(#dot); }
    svg.chart .projected { fill: none; stroke: #555; stroke-width: 1; stroke-dasharray: 3 2; marker-start: url(#square); marker-mid: url(#square); marker-end: url(#square); }
    svg.chart .passed { fill: #ccc; } svg.chart .failed { fill: #000; } svg.chart .error { fill: url(#hatch); stroke: #555; stroke-width: .5; }
    svg.chart .aborted { fill: #fff; stroke: #000; stroke-width: .8; }
    dl.controls dt { font-weight: 600; margin-top: .6em; } p.caption { margin: .6em 0 0; font-size: .9em; color: #333; }
    @media print { body { margin: 0; max-width: none; font-size: 11px; } h2 { break-after: avoid; } tr, section.charts { break-inside: avoid; } }
    """

    /// The evidence table's rows, for one chunk of tests (`evidence`); the report places all of them
    /// where it says `{{{evidence_rows}}}`.
    static let evidenceRowsHTML = """
    {{% CONTENT_TYPE: HTML}}
    {{#evidence}}
    <tr data-run="{{run_id}}"><td>{{test}}<br><small>{{finished}}</small></td>
    <td class="path">{{archive}}<br><small>{{restore_point}}<br>manifest SHA-256 <code>{{manifest_sha256}}</code></small></td>
    <td>{{sample_line}}<br><small>{{measured}}</small></td>
    <td class="result-{{status}}">{{status}}{{#has_details}}{{> evidence-details}}{{/has_details}}</td>
    <td><code class="hash">{{entry_hash}}</code></td></tr>
    {{/evidence}}

    """

    static let evidenceRowsMarkdown = """
    {{% CONTENT_TYPE: MARKDOWN}}
    {{#evidence}}
    - **{{test}}**, {{finished}}: **{{status}}**{{#has_reasons}} ({{reasons}}){{/has_reasons}}. Restore point {{{archive_code}}} ({{restore_point}}); manifest SHA-256 `{{{manifest_sha256}}}`; sample {{sample_line}}: {{measured}}. Chain hash `{{{entry_hash}}}`.
    {{#findings}}
      - {{reason}}: {{{path_code}}}{{#has_detail}} — {{detail}}{{/has_detail}}
    {{/findings}}
    {{#has_more_findings}}
      - and {{findings_omitted}} more finding(s)
    {{/has_more_findings}}
    {{/evidence}}

    """

    /// Reasons and findings of a test that did not pass (a partial: most tests have none).
    static let evidenceDetails = """
    {{% CONTENT_TYPE: HTML}}
    {{#has_reasons}}<br><small>{{reasons}}</small>{{/has_reasons}}
    {{#findings}}<br><small class="path">{{reason}}: {{path}}{{#has_detail}} — {{detail}}{{/has_detail}}</small>{{/findings}}
    {{#has_more_findings}}<br><small>and {{findings_omitted}} more finding(s)</small>{{/has_more_findings}}
    """

    /// The axes, the RPO or RTO line and its label, shared by the two time charts.
    static let chartAxes = """
    {{% CONTENT_TYPE: HTML}}
    <line class="axis" x1="{{left}}" y1="{{top}}" x2="{{left}}" y2="{{baseline}}"/><line class="axis" x1="{{left}}" y1="{{baseline}}" x2="{{right_edge}}" y2="{{baseline}}"/>
    <line class="limit" x1="{{left}}" y1="{{limit_y}}" x2="{{right_edge}}" y2="{{limit_y}}"/>
    <text x="2" y="{{limit_y}}">{{limit_label}}</text><text x="2" y="{{top}}">{{ceiling_label}}</text>
    """

    /// The period's first and last day under a time chart.
    static let chartDates = """
    {{% CONTENT_TYPE: HTML}}
    <text x="{{left}}" y="{{label_y}}">{{from_label}}</text><text x="{{to_x}}" y="{{label_y}}" text-anchor="end">{{to_label}}</text>
    """

    static let chartAge = """
    {{% CONTENT_TYPE: HTML}}
    <svg class="chart age" role="img" viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}"><title>{{title}}</title>
    {{> chart-axes}}
    {{#lines}}<polyline class="series" points="{{points}}"/>{{/lines}}
    {{#empty}}<text x="{{empty_x}}" y="{{empty_y}}">no restore point verified in the period</text>{{/empty}}
    {{> chart-dates}}
    </svg>
    """

    static let chartRestore = """
    {{% CONTENT_TYPE: HTML}}
    <svg class="chart restore" role="img" viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}"><title>{{title}}</title>
    {{> chart-axes}}
    {{#has_projected}}<polyline class="projected" points="{{projected}}"/>{{/has_projected}}
    {{#has_measured}}<polyline class="measured" points="{{measured}}"/>{{/has_measured}}
    {{#empty}}<text x="{{empty_x}}" y="{{empty_y}}">no timed test in the period</text>{{/empty}}
    {{> chart-dates}}
    </svg>
    """

    static let chartStrip = """
    {{% CONTENT_TYPE: HTML}}
    <svg class="chart strip" role="img" viewBox="0 0 640 26" width="640" height="26"><title>{{title}}</title>
    <rect x="{{left}}" y="4" width="{{plot_width}}" height="16" fill="none" stroke="#999" stroke-width=".5"/>
    {{#marks}}<path class="{{status}}" d="{{path}}"/>{{/marks}}
    <text x="2" y="16">results</text>
    </svg>
    """

    static let reportMarkdown = #"""
    {{% CONTENT_TYPE: MARKDOWN}}
    # Restore assurance report: {{tenant}}

    {{#has_company}}Prepared by {{company}}. {{/has_company}}Period {{period_from}} to {{period_to}}; generated {{generated}} from the verifier's recorded history.

    **{{targets_rpo_met}} of {{target_count}} backups have a verified restore point within their RPO now · {{tests_run}} restore test(s) in the period · {{open_breaches}} open breach(es)**

    {{#headlines}}
    - **{{label}}**: {{sentence}}
    {{/headlines}}

    ## 1. Summary

    | Backup | Verified backup age | RPO | Last result | RPO compliance | RTO compliance | Tests (passed / failed / error) | Files verified | Bytes verified |
    |---|---|---|---|---|---|---|---|---|
    {{#targets}}
    | {{target}} | {{verified_age}}{{^rpo_met}} ✗{{/rpo_met}} | {{rpo}} | {{last_result}}{{#has_last_reasons}} ({{last_reasons}}){{/has_last_reasons}} | {{rpo_compliance}} | {{rto_compliance}} | {{tests_run}} ({{passed}} / {{failed}} / {{error}}) | {{files_verified}} | {{bytes_verified}} |
    {{/targets}}
    {{#has_coverage}}

    Coverage: how much of each backup's newest manifest was restored and verified within its rotation window.

    {{#targets}}{{#coverage}}
    - **{{target}}**: {{statement}}
    {{/coverage}}{{/targets}}
    {{/has_coverage}}

    ## 2. Breach ledger

    {{#has_breaches}}
    | Backup | Event | Opened | Resolved | Duration | Detail |
    |---|---|---|---|---|---|
    {{#breaches}}
    | {{target}} | {{kind_label}} | {{opened}} | {{resolved}} | {{duration}} | {{detail}} |
    {{/breaches}}
    {{/has_breaches}}
    {{^has_breaches}}
    No breach in the period.
    {{/has_breaches}}

    ## 3. Charts

    The charts are in the HTML report.

    ## 4. Evidence

    {{{evidence_rows}}}
    {{^has_evidence}}
    No test finished in the period.
    {{/has_evidence}}
    {{#has_restores}}

    ### Restores performed

    | Target | Finished | Restore point | What | Files verified | Time | Result |
    |---|---|---|---|---|---|---|
    {{#restores}}
    | {{target}} | {{finished}} | {{archive}} | {{what}} | {{files}} ({{bytes}}) | {{duration}} | {{status}} |
    {{/restores}}
    {{/has_restores}}

    ## 5. Control evidence

    Which part of this report is evidence for which control. This is evidence for an assessor to judge, not a claim of certification.

    {{#controls}}
    - **{{{control}}}**: {{{evidence}}}
    {{/controls}}

    ## 6. Method

    {{#method}}
    ### {{{heading}}}

    {{{text}}}

    {{/method}}
    """#

    static let indexHTML = #"""
    {{% CONTENT_TYPE: HTML}}
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
    <title>Restore assurance reports</title><style>{{> style}}</style></head>
    <body><h1>Restore assurance reports</h1>{{#has_company}}<p class="meta">{{company}}</p>{{/has_company}}
    <ul>{{#tenants}}<li><a href="{{path}}">{{tenant}}</a></li>{{/tenants}}</ul>
    </body></html>

    """#
}
