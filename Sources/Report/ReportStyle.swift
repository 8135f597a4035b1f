/// The report's CSS: system fonts only (nothing fetched), readable printed in greyscale.
enum ReportStyle {
    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#1a1a1a;background:#fff}
        h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
        h3{font-size:1.05em;margin-top:1.5em}
        .meta{color:#555;font-size:.9em;margin:.2em 0}
        .run,.checkpoint{break-inside:avoid-page}
        figure{margin:.8em 0}figcaption{font-size:.85em;color:#444;margin-bottom:.2em}
        svg{max-width:100%;height:auto;display:block}
        table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
        th,td{border-bottom:1px solid #e2e2e2;padding:.2em .6em;text-align:right;white-space:nowrap}
        th{background:#f3f3f3;white-space:normal;vertical-align:bottom}td.name,th.name{text-align:left}
        code{font-size:.95em}
        .status-restored{font-weight:600}.status-rejected,.status-error,.status-vanished{color:#8a2b5c}.status-flagged{color:#8a5a00}
        details>summary{cursor:pointer;color:#333}
        @media print{a{color:inherit;text-decoration:none}}
        """
}
