"""The HTML report's one stylesheet (screen and print) and its Content-Security-Policy.

Colours meet WCAG AA contrast (axe-core's color-contrast rule, run by tests/exports): white on
each verdict colour, the muted grey on white. Long lists print compactly: task ids in columns,
tables in a smaller font, causes wrapped (`pre-wrap`) instead of running off the page.
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'"  # nothing is fetched, nothing runs
STYLE = """
:root{--ok:#1b7f3b;--bad:#b3261e;--warn:#8a4f00;--err:#5f2a8c;--mut:#545c66;--line:#d0d5dc}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;
margin:0 auto;max-width:1180px;padding:12px 24px}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:17px;border-bottom:2px solid var(--line);padding-bottom:3px;margin:20px 0 8px}
h3{font-size:14px;margin:0 0 4px}h4{margin:6px 0 2px;font-size:13px}
code{font:12px/1.3 ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
pre{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere;
background:#f6f7f9;padding:6px 8px;border-radius:4px;margin:4px 0}
.banner{padding:10px 16px;border-radius:8px;color:#fff;background:var(--mut)}.banner p{margin:0}
.banner.isolated{background:var(--ok)}.banner.violation{background:var(--bad)}
.banner.inconclusive{background:var(--warn)}.banner.error{background:var(--err)}
.banner code{color:#fff}
.toc h2{font-size:13px;border:0;margin:8px 0 2px;padding:0;color:var(--mut)}
.toc ol{display:flex;flex-wrap:wrap;gap:2px 18px;list-style:none;padding:0;margin:0 0 4px;font-size:13px}
.meaning{margin:6px 0}.counts{margin:4px 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}dt{color:var(--mut)}
dd{margin:0}dl.meta,dl.facts{grid-template-columns:max-content 1fr max-content 1fr}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f1f3f6;font-size:12px}td ul{margin:4px 0;padding-left:18px}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11px;font-weight:700;
color:#fff;background:var(--mut);letter-spacing:.03em}
.badge.isolated{background:var(--ok)}.badge.violation{background:var(--bad)}
.badge.inconclusive{background:var(--warn)}.badge.error{background:var(--err)}
.bad{color:var(--bad);font-weight:700}
.task,.group{border:1px solid var(--line);border-left:6px solid var(--mut);border-radius:6px;
padding:8px 12px;margin:10px 0}
.task.violation{border-left-color:var(--bad)}.task.inconclusive,.group.inconclusive{border-left-color:var(--warn)}
.task.isolated{border-left-color:var(--ok)}
.do{background:#f6f7f9;padding:5px 8px;border-radius:4px;margin:4px 0}.reasons li{color:var(--bad)}
.task.inconclusive .reasons li{color:var(--warn)}tr.extra td{background:#fafbfc}.none{font-style:italic}
ul.ids{columns:21em;column-gap:18px;list-style:none;padding:0;margin:2px 0;font-size:12px}
ul.ids.wide{columns:30em}ul.legend{list-style:none;padding:0;margin:4px 0;font-size:12px}
ul.ids li{break-inside:avoid}ul.ids code{font-size:11px}
table.isolated,table.hosts,table.exposure,table.violations{font-size:12px}
.isolated code,.hosts code{font-size:11px}
.isolated td:nth-child(-n+3),.isolated td:last-child{white-space:nowrap}
.bar{display:flex;height:20px;border-radius:4px;overflow:hidden;margin:4px 0 8px}
.bar span{color:#fff;font-size:12px;text-align:center;line-height:20px;min-width:22px}
.bar .isolated{background:var(--ok)}.bar .violation{background:var(--bad)}
.bar .inconclusive{background:var(--warn)}footer{margin-top:28px;color:var(--mut);font-size:12px}
@media print{body{max-width:none;padding:0;font-size:9pt}@page{size:A4;margin:12mm}
code,pre{font-size:8pt}table.isolated,table.hosts{font-size:7.5pt}.isolated code,.hosts code{font-size:7pt}
ul.ids,ul.legend{font-size:7.5pt}ul.ids code{font-size:7pt}
.banner,.badge,.bar span,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.task,tr,.group pre{break-inside:avoid}h2,h3{break-after:avoid}thead{display:table-header-group}}
"""
