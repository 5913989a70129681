"""The HTML report's one stylesheet (screen and print) and its Content-Security-Policy."""

CSP = "default-src 'none'; style-src 'unsafe-inline'"  # nothing is fetched, nothing runs
STYLE = """
:root{--ok:#1b7f3b;--bad:#b3261e;--warn:#a15c00;--err:#5f2a8c;--mut:#5b6470;--line:#d0d5dc}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;
margin:0 auto;max-width:1180px;padding:16px 24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px;margin-top:28px}
h3{font-size:15px;margin:0 0 6px}h4{margin:8px 0 2px;font-size:13px}
code{font:12px/1.3 ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.banner{padding:14px 18px;border-radius:8px;color:#fff;background:var(--mut)}.banner p{margin:0}
.banner.isolated{background:var(--ok)}.banner.violation{background:var(--bad)}
.banner.inconclusive{background:var(--warn)}.banner.error{background:var(--err)}
.meaning{font-size:15px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}dt{color:var(--mut)}
dd{margin:0}table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f1f3f6;font-size:12px}td ul{margin:4px 0;padding-left:18px}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11px;font-weight:700;
color:#fff;background:var(--mut);letter-spacing:.03em}
.badge.isolated{background:var(--ok)}.badge.violation{background:var(--bad)}
.badge.inconclusive{background:var(--warn)}.badge.error{background:var(--err)}
.bad{color:var(--bad);font-weight:700}
.task{border:1px solid var(--line);border-left:6px solid var(--mut);border-radius:6px;
padding:10px 14px;margin:12px 0}
.task.violation{border-left-color:var(--bad)}.task.inconclusive{border-left-color:var(--warn)}
.task.isolated{border-left-color:var(--ok)}
.do{background:#f6f7f9;padding:6px 8px;border-radius:4px;margin:6px 0}.reasons li{color:var(--bad)}
.task.inconclusive .reasons li{color:var(--warn)}tr.extra td{background:#fafbfc}
.isolated code{font-size:11px}.isolated td:nth-child(3){white-space:nowrap}
.bar{display:flex;height:22px;border-radius:4px;overflow:hidden;margin:8px 0}
.bar span{color:#fff;font-size:12px;text-align:center;line-height:22px;min-width:22px}
.bar .isolated{background:var(--ok)}.bar .violation{background:var(--bad)}
.bar .inconclusive{background:var(--warn)}footer{margin-top:32px;color:var(--mut);font-size:12px}
@media print{body{max-width:none;padding:0;font-size:10pt}@page{margin:14mm}
.banner,.badge,.bar span,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.task,tr{break-inside:avoid}h2,h3{break-after:avoid}thead{display:table-header-group}}
"""
