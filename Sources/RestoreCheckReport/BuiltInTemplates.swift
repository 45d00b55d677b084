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
    <html lang="{{t.html_lang}}">
    <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
    <title>{{page_title}}</title>
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
    <h1>{{title}}</h1>
    <p class="meta">{{#has_company}}{{prepared_by}} · {{/has_company}}{{meta_html}}</p>
    </div>
    </header>
    <p class="headline" id="headline">{{headline_text}}</p>
    <ul class="headlines" id="headlines">
    {{#headlines}}<li class="state-{{state}}"><span class="state">{{label}}</span> {{sentence}}</li>
    {{/headlines}}
    </ul>

    <h2>{{t.h_summary}}</h2>
    <table class="summary" id="summary">
    <thead><tr><th>{{t.col_backup}}</th><th>{{t.col_verified_age}}</th><th>{{t.col_rpo}}</th><th>{{t.col_last_result}}</th><th>{{t.col_rpo_compliance}}</th><th>{{t.col_rto_compliance}}</th><th>{{t.col_tests}}</th><th>{{t.col_files_verified}}</th><th>{{t.col_bytes_verified}}</th></tr></thead>
    <tbody>
    {{#targets}}
    <tr data-target="{{target}}">
    <td>{{target}}</td>
    <td class="{{#rpo_met}}ok{{/rpo_met}}{{^rpo_met}}bad{{/rpo_met}}">{{verified_age}}{{^rpo_met}} ✗{{/rpo_met}}</td>
    <td>{{rpo}}</td>
    <td class="result-{{last_result}}">{{last_result_label}}{{#has_last_reasons}} ({{last_reasons}}){{/has_last_reasons}}<br><small>{{last_test}}</small></td>
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
    <p>{{t.coverage_intro}}</p>
    <ul class="coverage" id="coverage">
    {{#targets}}{{#coverage}}<li data-target="{{target}}"><strong>{{target}}</strong>: {{statement}}</li>{{/coverage}}{{/targets}}
    </ul>
    {{/has_coverage}}

    <h2>{{t.h_ledger}}</h2>
    {{#has_breaches}}
    <table class="ledger" id="ledger">
    <thead><tr><th>{{t.col_backup}}</th><th>{{t.col_event}}</th><th>{{t.col_opened}}</th><th>{{t.col_resolved}}</th><th>{{t.col_duration}}</th><th>{{t.col_detail}}</th></tr></thead>
    <tbody>
    {{#breaches}}
    <tr class="{{#open}}open{{/open}}" data-kind="{{kind}}" data-target="{{target}}"><td>{{target}}</td><td>{{kind_label}}</td><td>{{opened}}</td><td>{{resolved}}</td><td>{{duration}}</td><td>{{detail}}</td></tr>
    {{/breaches}}
    </tbody>
    </table>
    {{/has_breaches}}
    {{^has_breaches}}<p>{{t.no_breach}}</p>{{/has_breaches}}

    <h2>{{t.h_charts}}</h2>
    {{#targets}}
    <section class="charts" data-target="{{target}}">
    <h3>{{target}}</h3>
    {{#chart_age}}<p class="caption">{{title}}</p>{{> chart-age}}{{/chart_age}}
    {{#chart_restore}}<p class="caption">{{title}}</p>{{> chart-restore}}{{/chart_restore}}
    {{#chart_strip}}<p class="caption">{{title}}</p>{{> chart-strip}}{{/chart_strip}}
    </section>
    {{/targets}}

    <h2>{{t.h_evidence}}</h2>
    {{#has_evidence}}
    <table class="evidence" id="evidence">
    <thead><tr><th>{{t.col_test}}</th><th>{{t.col_restore_point}}</th><th>{{t.col_sample}}</th><th>{{t.col_result}}</th><th>{{t.col_chain_hash}}</th></tr></thead>
    <tbody>
    {{{evidence_rows}}}
    </tbody>
    </table>
    {{/has_evidence}}
    {{^has_evidence}}<p>{{t.no_test}}</p>{{/has_evidence}}
    {{#has_restores}}
    <h3>{{t.h_restores}}</h3>
    <p>{{t.restores_intro}}</p>
    <table class="evidence" id="restores">
    <thead><tr><th>{{t.col_target}}</th><th>{{t.col_finished}}</th><th>{{t.col_restore_point}}</th><th>{{t.col_what}}</th><th>{{t.col_files_verified}}</th><th>{{t.col_time}}</th><th>{{t.col_result}}</th></tr></thead>
    <tbody>
    {{#restores}}<tr><td>{{target}}</td><td>{{finished}}</td><td>{{archive}}</td><td>{{what}}</td><td>{{files}} ({{bytes}})</td><td>{{duration}}</td><td class="result-{{status}}">{{status_label}}</td></tr>
    {{/restores}}
    </tbody>
    </table>
    {{/has_restores}}

    <h2>{{t.h_controls}}</h2>
    <p>{{t.controls_intro}}</p>
    <dl class="controls">
    {{#controls}}<dt>{{control}}</dt><dd>{{evidence}}</dd>{{/controls}}
    </dl>

    <h2>{{t.h_method}}</h2>
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
    <td class="path">{{archive}}<br><small>{{restore_point}}<br>{{t.manifest_sha256}} <code>{{manifest_sha256}}</code></small></td>
    <td>{{sample_line}}<br><small>{{measured}}</small></td>
    <td class="result-{{status}}">{{status_label}}{{#has_details}}{{> evidence-details}}{{/has_details}}</td>
    <td><code class="hash">{{entry_hash}}</code></td></tr>
    {{/evidence}}

    """

    static let evidenceRowsMarkdown = """
    {{% CONTENT_TYPE: MARKDOWN}}
    {{#evidence}}
    - **{{test}}**, {{finished}}: **{{status_label}}**{{#has_reasons}} ({{reasons}}){{/has_reasons}}. {{{t.restore_point_label}}} {{{archive_code}}} ({{restore_point}}); {{{t.manifest_sha256}}} `{{{manifest_sha256}}}`; {{{t.sample_label}}} {{sample_line}}: {{measured}}. {{{t.chain_hash_label}}} `{{{entry_hash}}}`.
    {{#findings}}
      - {{reason}}: {{{path_code}}}{{#has_detail}} — {{detail}}{{/has_detail}}
    {{/findings}}
    {{#has_more_findings}}
      - {{more_findings}}
    {{/has_more_findings}}
    {{/evidence}}

    """

    /// Reasons and findings of a test that did not pass (a partial: most tests have none).
    static let evidenceDetails = """
    {{% CONTENT_TYPE: HTML}}
    {{#has_reasons}}<br><small>{{reasons}}</small>{{/has_reasons}}
    {{#findings}}<br><small class="path">{{reason}}: {{path}}{{#has_detail}} — {{detail}}{{/has_detail}}</small>{{/findings}}
    {{#has_more_findings}}<br><small>{{more_findings}}</small>{{/has_more_findings}}
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
    {{#empty}}<text x="{{empty_x}}" y="{{empty_y}}">{{empty_text}}</text>{{/empty}}
    {{> chart-dates}}
    </svg>
    """

    static let chartRestore = """
    {{% CONTENT_TYPE: HTML}}
    <svg class="chart restore" role="img" viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}"><title>{{title}}</title>
    {{> chart-axes}}
    {{#has_projected}}<polyline class="projected" points="{{projected}}"/>{{/has_projected}}
    {{#has_measured}}<polyline class="measured" points="{{measured}}"/>{{/has_measured}}
    {{#empty}}<text x="{{empty_x}}" y="{{empty_y}}">{{empty_text}}</text>{{/empty}}
    {{> chart-dates}}
    </svg>
    """

    static let chartStrip = """
    {{% CONTENT_TYPE: HTML}}
    <svg class="chart strip" role="img" viewBox="0 0 640 26" width="640" height="26"><title>{{title}}</title>
    <rect x="{{left}}" y="4" width="{{plot_width}}" height="16" fill="none" stroke="#999" stroke-width=".5"/>
    {{#marks}}<path class="{{status}}" d="{{path}}"/>{{/marks}}
    <text x="2" y="16">{{results_label}}</text>
    </svg>
    """

    static let reportMarkdown = #"""
    {{% CONTENT_TYPE: MARKDOWN}}
    # {{title}}

    {{#has_company}}{{prepared_by}}. {{/has_company}}{{meta_markdown}}

    **{{headline_text}}**

    {{#headlines}}
    - **{{label}}**: {{sentence}}
    {{/headlines}}

    ## {{{t.h_summary}}}

    | {{{t.col_backup}}} | {{{t.col_verified_age}}} | {{{t.col_rpo}}} | {{{t.col_last_result}}} | {{{t.col_rpo_compliance}}} | {{{t.col_rto_compliance}}} | {{{t.col_tests}}} | {{{t.col_files_verified}}} | {{{t.col_bytes_verified}}} |
    |---|---|---|---|---|---|---|---|---|
    {{#targets}}
    | {{target}} | {{verified_age}}{{^rpo_met}} ✗{{/rpo_met}} | {{rpo}} | {{last_result_label}}{{#has_last_reasons}} ({{last_reasons}}){{/has_last_reasons}} | {{rpo_compliance}} | {{rto_compliance}} | {{tests_run}} ({{passed}} / {{failed}} / {{error}}) | {{files_verified}} | {{bytes_verified}} |
    {{/targets}}
    {{#has_coverage}}

    {{{t.coverage_intro}}}

    {{#targets}}{{#coverage}}
    - **{{target}}**: {{statement}}
    {{/coverage}}{{/targets}}
    {{/has_coverage}}

    ## {{{t.h_ledger}}}

    {{#has_breaches}}
    | {{{t.col_backup}}} | {{{t.col_event}}} | {{{t.col_opened}}} | {{{t.col_resolved}}} | {{{t.col_duration}}} | {{{t.col_detail}}} |
    |---|---|---|---|---|---|
    {{#breaches}}
    | {{target}} | {{kind_label}} | {{opened}} | {{resolved}} | {{duration}} | {{detail}} |
    {{/breaches}}
    {{/has_breaches}}
    {{^has_breaches}}
    {{{t.no_breach}}}
    {{/has_breaches}}

    ## {{{t.h_charts}}}

    {{{t.charts_in_html}}}

    ## {{{t.h_evidence}}}

    {{{evidence_rows}}}
    {{^has_evidence}}
    {{{t.no_test}}}
    {{/has_evidence}}
    {{#has_restores}}

    ### {{{t.h_restores}}}

    | {{{t.col_target}}} | {{{t.col_finished}}} | {{{t.col_restore_point}}} | {{{t.col_what}}} | {{{t.col_files_verified}}} | {{{t.col_time}}} | {{{t.col_result}}} |
    |---|---|---|---|---|---|---|
    {{#restores}}
    | {{target}} | {{finished}} | {{archive}} | {{what}} | {{files}} ({{bytes}}) | {{duration}} | {{status_label}} |
    {{/restores}}
    {{/has_restores}}

    ## {{{t.h_controls}}}

    {{{t.controls_intro}}}

    {{#controls}}
    - **{{{control}}}**: {{{evidence}}}
    {{/controls}}

    ## {{{t.h_method}}}

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
