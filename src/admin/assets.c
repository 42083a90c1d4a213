/* The dashboard's only assets, compiled in: a stylesheet and an icon (the CSP refuses inline
 * styles, and a missing favicon would be a console error in every page). */
#include <string.h>

#include "admin/internal.h"

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}"
    "header{background:#1d2433;color:#fff;padding:.6em 1em}"
    "nav{display:flex;gap:1.2em;align-items:center}"
    "nav a{color:#cfe0ff;text-decoration:none}nav a:hover{text-decoration:underline}"
    "nav form{margin-left:auto}"
    "main{padding:1em 1.5em;max-width:1200px}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em}"
    "table{border-collapse:collapse;background:#fff;width:100%}"
    "th,td{border-bottom:1px solid #dde1e7;padding:.3em .6em;text-align:left;"
    "vertical-align:top}"
    "th{background:#eef1f5}td.num,th.num{text-align:right}"
    "code{font:12px/1.3 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}"
    "td.event{color:#a1261b;font-weight:600}"
    ".counters{display:inline-block;vertical-align:top;margin-right:2em}"
    "dl{display:flex;flex-wrap:wrap;gap:.6em 1.6em}dl div{min-width:8em}"
    "dt{color:#5b6474;font-size:.85em}dd{margin:0;font-size:1.3em;font-weight:600}"
    "figure{margin:1em 0;background:#fff;padding:.5em;display:inline-block}"
    "figcaption{color:#5b6474;font-size:.9em}"
    "svg .bar{fill:#3d6fd6}svg .axis{stroke:#8a93a3;stroke-width:1}"
    "svg .label{font:11px sans-serif;fill:#1d2433}"
    ".empty{color:#5b6474;font-style:italic}"
    ".error{color:#a1261b}"
    "body.login main{max-width:24em;margin:4em auto;background:#fff;padding:2em}"
    "body.login input{display:block;width:100%;margin:.5em 0 1em;padding:.4em}"
    "button{cursor:pointer}\n";

static const char icon[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
    "<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#1d2433\"/>"
    "<path d=\"M3 12V4l5 5 5-5v8\" stroke=\"#cfe0ff\" stroke-width=\"2\" fill=\"none\"/></svg>\n";

int asset_style(adm_req *q)
{
    return adm_reply(q, 200, "text/css; charset=utf-8", style, sizeof style - 1);
}

int asset_icon(adm_req *q)
{
    return adm_reply(q, 200, "image/svg+xml", icon, sizeof icon - 1);
}
