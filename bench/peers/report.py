"""Medians and spread over rounds, the ratios, and the markdown and JSON results."""
import json
import statistics

LABEL = {"ort": "ORT", "openvino": "OpenVINO", "mnn": "MNN", "ncnn": "ncnn", "tandem": "Tandem",
         "openvino-tput": "OpenVINO throughput", "tandem-tput": "Tandem throughput"}
LATENCY_PEERS = ["ort", "openvino", "mnn", "ncnn"]  # one frame at a time, as Tandem runs
TARGET_ORT_OV, TARGET_ALL = 1.1, 1.0


def summarise(measurements):
    """{(model, threads): {peer: {fps, fps_min, fps_max, rounds, rss_kib, max_rel_err}}}."""
    cells = {}
    for m in measurements:
        if m.get("error"):
            continue
        key = (m["model"], m["threads"])
        c = cells.setdefault(key, {}).setdefault(m["peer"], {"fps_rounds": [], "rss_kib": 0})
        c["fps_rounds"].append(m["fps"])
        c["rss_kib"] = max(c["rss_kib"], m.get("rss_kib") or 0)
        if m.get("max_rel_err") is not None:
            c["max_rel_err"] = max(c.get("max_rel_err", 0.0), m["max_rel_err"])
        if m.get("streams"):
            c["streams"] = m["streams"]
    for row in cells.values():
        for c in row.values():
            f = c["fps_rounds"]
            c.update(fps=statistics.median(f), fps_min=min(f), fps_max=max(f), rounds=len(f))
    return cells


def ratios(row):
    """Tandem / best of ORT+OpenVINO and / best latency peer; Tandem throughput / OpenVINO
    throughput; Tandem's peak RSS / the smallest latency peer's."""
    fps = lambda p: row[p]["fps"] if p in row else None
    best = lambda names: max((fps(p) for p in names if p in row), default=None)
    out = {}
    for key, mine, names in (("vs_ort_openvino", "tandem", ["ort", "openvino"]),
                             ("vs_all", "tandem", LATENCY_PEERS),
                             ("tput_vs_openvino_tput", "tandem-tput", ["openvino-tput"])):
        if fps(mine) and best(names):
            out[key] = fps(mine) / best(names)
    rss = [row[p]["rss_kib"] for p in LATENCY_PEERS if p in row and row[p]["rss_kib"]]
    if rss and row.get("tandem", {}).get("rss_kib"):
        out["rss_vs_smallest_peer"] = row["tandem"]["rss_kib"] / min(rss)
    return out


def fps_cell(c):
    if not c:
        return "-"
    digits = 1 if c["fps"] >= 20 else 2
    s = f"{c['fps']:.{digits}f}"
    if c["rounds"] > 1:
        s += f" ({c['fps_min']:.{digits}f}-{c['fps_max']:.{digits}f})"
    return s


def table(cells, peers):
    cols = [p for p in LATENCY_PEERS if p in peers] + ["tandem"]
    tput = "openvino-tput" in peers or "tandem-tput" in peers
    head = ["model", "threads"] + [f"{LABEL[p]} FPS" for p in cols]
    head += ["Tandem / best ORT+OV", "Tandem / best peer"]
    if tput:
        head += ["OV throughput FPS (streams)", "Tandem throughput FPS", "Tandem / OV throughput"]
    head.append("peak RSS MiB " + " / ".join(LABEL[p] for p in cols))
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for (model, threads), row in cells.items():
        r = ratios(row)
        fmt = lambda k: f"{r[k]:.2f}" if k in r else "-"
        cells_ = [model, str(threads)] + [fps_cell(row.get(p)) for p in cols]
        cells_ += [fmt("vs_ort_openvino"), fmt("vs_all")]
        if tput:
            c = row.get("openvino-tput")
            cells_ += [f"{fps_cell(c)} ({c.get('streams', '?')})" if c else "-",
                       fps_cell(row.get("tandem-tput")), fmt("tput_vs_openvino_tput")]
        mib = [f"{row[p]['rss_kib'] / 1024:.0f}" if p in row else "-" for p in cols]
        cells_.append(" / ".join(mib))
        lines.append("| " + " | ".join(cells_) + " |")
    return lines


def verdicts(cells):
    """One line per target: rows meeting it, and the misses by name."""
    rows = [(k, ratios(v)) for k, v in cells.items()]
    out = []
    for key, target, what in (("vs_ort_openvino", TARGET_ORT_OV, "best of ORT and OpenVINO"),
                              ("vs_all", TARGET_ALL, "best latency peer"),
                              ("rss_vs_smallest_peer", None, "peak RSS <= the smallest peer's")):
        have = [(k, r[key]) for k, r in rows if key in r]
        if target is None:
            miss = [(k, v) for k, v in have if v > 1.0]
            label = what
        else:
            miss = [(k, v) for k, v in have if v < target]
            label = f"Tandem >= {target}x the {what}"
        names = ", ".join(f"{m} t={t} ({v:.2f})" for (m, t), v in miss) or "none"
        out.append(f"- {label}: {len(have) - len(miss)}/{len(have)} rows; misses: {names}")
    return out


def accuracy_notes(cells, limit=1e-3):
    bad = [f"{LABEL[p]} on {m} t={t}: {c['max_rel_err']:.2g}" for (m, t), row in cells.items()
           for p, c in row.items() if c.get("max_rel_err", 0) > limit]
    return ["- outputs off the PyTorch reference by more than 1e-3 (relative): "
            + ("; ".join(bad) if bad else "none")]


def markdown(header_lines, cells, peers, notes):
    body = ["# Peers side by side", ""] + header_lines + [""] + table(cells, peers) + [""]
    return "\n".join(body + verdicts(cells) + accuracy_notes(cells) + notes) + "\n"


def write(md_path, json_path, header, header_lines, measurements, peers, notes):
    cells = summarise(measurements)
    with open(md_path, "w") as f:
        f.write(markdown(header_lines, cells, peers, notes))
    rows = [{"model": m, "threads": t, "peers": row, "ratios": ratios(row)}
            for (m, t), row in cells.items()]
    with open(json_path, "w") as f:
        json.dump(dict(header, measurements=measurements, rows=rows), f, indent=1)
    return cells
