"""`tandem plan --svg`: the picture is well-formed XML with one cut per step
boundary and every processor's name in its legend.

  check_plan_svg.py TANDEM MODEL PROCESSORS OUT.svg
"""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def main(tandem, model, processors, out):
    run = subprocess.run([tandem, "plan", model, "--processors", processors, "--svg", out,
                          "--json"], capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        sys.exit("tandem plan failed:\n" + run.stdout + run.stderr)
    plan = json.loads(run.stdout.strip().splitlines()[-1])
    steps = sorted({(s["first_node"], s["last_node"]) for s in plan["stages"]})
    root = ET.parse(out).getroot()  # raises on malformed XML
    if root.tag != SVG + "svg":
        sys.exit(f"root element is {root.tag}, not svg")
    cuts = [e for e in root.iter(SVG + "line") if e.get("class") == "cut"]
    bands = [e for e in root.iter(SVG + "rect") if e.get("class") == "step"]
    names = {e.text for e in root.iter(SVG + "text") if e.get("class") == "processor"}
    errors = []
    if len(cuts) != len(steps) - 1:
        errors.append(f"{len(cuts)} cuts drawn for {len(steps)} steps")
    if len(bands) != len(steps):
        errors.append(f"{len(bands)} step bands drawn for {len(steps)} steps")
    for p in plan["processors"]:
        if p not in names:
            errors.append(f"processor {p} missing from the legend {sorted(names)}")
    if f"{plan['predicted_fps']:.2f} FPS" not in ET.tostring(root, encoding="unicode"):
        errors.append("the predicted FPS is not in the title")
    if errors:
        sys.exit("\n".join(errors))
    print(f"ok: {len(steps)} step(s), {len(cuts)} cut(s), processors {sorted(names)}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
