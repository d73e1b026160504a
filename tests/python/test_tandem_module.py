"""The Python module `tandem` on the tiny test model: load, run against the
CLI, errors, pipelined submit/wait, plan, bench, profile, convert.

Environment: PYTHONPATH has the module; TANDEM_TEST_DATA is the folder of
make_test_model's files; TANDEM_CLI is the `tandem` binary; TANDEM_PAIR is a
processor pair for pipelines ("" when this build has only `reference`).
Exits 77 (ctest: skipped) when NumPy is missing.
"""
import os
import subprocess
import sys
import tempfile
import unittest

try:
    import numpy as np
except ImportError:
    print("skipped: NumPy is not installed for", sys.executable)
    sys.exit(77)

import tandem

DATA = os.environ["TANDEM_TEST_DATA"]
CLI = os.environ["TANDEM_CLI"]
PAIR = os.environ.get("TANDEM_PAIR", "")
TINY = os.path.join(DATA, "tiny.tdm")


def tiny_input(seed=0):
    return np.random.default_rng(seed).standard_normal((1, 3, 8, 8), dtype=np.float32)


class ModelAndSession(unittest.TestCase):
    def setUp(self):
        self.model = tandem.Model.load(TINY)

    def test_load_lists_inputs_and_outputs(self):
        self.assertEqual(self.model.inputs, [{"name": "image", "shape": (1, 3, 8, 8),
                                              "dtype": "float32"}])
        self.assertEqual([o["name"] for o in self.model.outputs], ["probs"])
        self.assertEqual(self.model.outputs[0]["shape"], (1, 10))

    def test_run_matches_the_cli(self):
        x = np.load(os.path.join(DATA, "tiny_input.npy"))
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.npy")
            subprocess.run([CLI, "run", TINY, "--input", os.path.join(DATA, "tiny_input.npy"),
                            "--output", out, "--processor", "reference"], check=True,
                           capture_output=True, timeout=60)
            expected = np.load(out)
        got = tandem.Session(self.model, "reference").run({"image": x})["probs"]
        self.assertEqual(got.dtype, np.float32)
        np.testing.assert_array_equal(got, expected)
        # A single array is the only input; Model arguments also take paths.
        again = tandem.Session(tandem.Model.load(TINY), "reference").run(x)["probs"]
        np.testing.assert_array_equal(again, expected)

    def test_errors_carry_the_engine_message(self):
        s = tandem.Session(self.model, "reference")
        with self.assertRaisesRegex(tandem.Error, "input 'image' has shape 1x3x8x9"):
            s.run({"image": np.zeros((1, 3, 8, 9), np.float32)})
        with self.assertRaisesRegex(tandem.Error, "'nope' is not an input"):
            s.run({"nope": tiny_input()})
        with self.assertRaisesRegex(tandem.Error, "input 'image' has dtype float64"):
            s.run({"image": tiny_input().astype(np.float64)})
        with self.assertRaisesRegex(tandem.Error, "unknown processor 'gpu9'"):
            tandem.Session(self.model, "gpu9")
        with self.assertRaisesRegex(tandem.Error, "nope.tdm"):
            tandem.Model.load(os.path.join(DATA, "nope.tdm"))
        self.assertTrue(issubclass(tandem.Error, RuntimeError))

    def test_threads_share_a_session(self):
        import threading
        s = tandem.Session(self.model, "reference")
        frames = [tiny_input(seed) for seed in range(8)]
        expected = [s.run({"image": x})["probs"] for x in frames]
        got = [None] * len(frames)

        def work(i):
            for _ in range(20):
                got[i] = s.run({"image": frames[i]})["probs"]

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(frames))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)

    def test_non_contiguous_input_is_read_in_order(self):
        x = np.asfortranarray(tiny_input(3))
        s = tandem.Session(self.model, "reference")
        np.testing.assert_array_equal(s.run({"image": x})["probs"],
                                      s.run({"image": np.ascontiguousarray(x)})["probs"])


@unittest.skipUnless(PAIR, "this build has no second processor to pipeline with")
class Pipelined(unittest.TestCase):
    def test_submit_wait_equals_session_run(self):
        model = tandem.Model.load(TINY)
        pipe = tandem.PipelineSession(model, PAIR)
        self.assertGreater(pipe.predicted_fps, 0)
        self.assertIn("step", pipe.plan_summary)
        frames = [tiny_input(seed) for seed in range(6)]
        tickets = [pipe.submit({"image": x}) for x in frames]
        single = tandem.Session(model, "reference")
        for ticket, x in zip(tickets, frames):
            got = pipe.wait(ticket)["probs"]
            np.testing.assert_allclose(got, single.run({"image": x})["probs"], rtol=1e-4,
                                       atol=1e-6)
        np.testing.assert_allclose(pipe.run({"image": frames[0]})["probs"],
                                   single.run({"image": frames[0]})["probs"], rtol=1e-4,
                                   atol=1e-6)

    def test_plan_is_a_dict_of_steps_and_draws(self):
        with tempfile.TemporaryDirectory() as tmp:
            svg = os.path.join(tmp, "plan.svg")
            plan = tandem.plan(tandem.Model.load(TINY), PAIR, svg=svg)
            self.assertTrue(os.path.getsize(svg) > 0)
        self.assertGreater(plan["predicted_fps"], 0)
        stages = plan["stages"]
        self.assertGreater(len(stages), 0)
        self.assertEqual(stages[0]["first_node"], 0)
        self.assertEqual(stages[-1]["last_node"], 7)  # every node of tiny, in order
        for a, b in zip(stages, stages[1:]):
            self.assertIn(b["first_node"], (a["first_node"], a["last_node"]))
        self.assertIn("simulated", plan["text"])

    def test_pipelined_bench(self):
        r = tandem.bench(TINY, processors=PAIR, frames=5)
        self.assertGreater(r["fps"], 0)
        self.assertGreater(len(r["stages"]), 0)


class Tools(unittest.TestCase):
    def test_bench_returns_fps(self):
        r = tandem.bench(TINY, processor="reference", runs=3, warmup=1, per_op=True)
        self.assertGreater(r["fps"], 0)
        self.assertEqual(r["runs"], 3)
        self.assertEqual(len(r["latencies_ms"]), 3)
        self.assertEqual(len(r["nodes"]), 7)
        with self.assertRaisesRegex(tandem.Error, "unknown processor 'gpu9'"):
            tandem.bench(TINY, processor="gpu9")

    @unittest.skipUnless(hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) > 1
                         and PAIR, "needs two cores and the cpu processor")
    def test_bench_leaves_the_thread_unpinned(self):
        before = os.sched_getaffinity(0)
        r = tandem.bench(TINY, processor="cpu:cores=0", runs=2, warmup=0)
        self.assertGreater(r["fps"], 0)
        self.assertEqual(os.sched_getaffinity(0), before)

    def test_profile_returns_the_table(self):
        r = tandem.profile(TINY, "reference")
        self.assertEqual(r["processors"][0]["spec"], "reference")
        self.assertEqual(r["processors"][0]["measured_nodes"], 7)
        self.assertTrue(os.path.exists(r["profile"]))
        self.assertIn("table", r)

    def test_plan_errors(self):
        with self.assertRaisesRegex(tandem.Error, "--processors is required"):
            tandem.plan(TINY)
        with self.assertRaisesRegex(tandem.Error, "objective must be"):
            tandem.plan(TINY, "reference", objective="fast")


@unittest.skipUnless(getattr(tandem, "has_converter", False), "built without the converter")
class Convert(unittest.TestCase):
    def test_convert_then_run(self):
        try:
            import onnx
            from onnx import TensorProto, helper
        except ImportError:
            self.skipTest("python3-onnx is not installed")
        node = helper.make_node("Relu", ["x"], ["y"], name="relu")
        graph = helper.make_graph([node], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                 ["n", 4])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                                 ["n", 4])])
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "relu.onnx"), os.path.join(tmp, "relu.tdm")
            onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), src)
            summary = tandem.convert(src, dst, input_shapes={"x": (2, 4)})
            self.assertIn("wrote", summary)
            model = tandem.Model.load(dst)
            self.assertEqual(model.inputs[0]["shape"], (2, 4))
            x = np.array([[-1, 2, -3, 4], [5, -6, 7, -8]], np.float32)
            y = tandem.Session(model, "reference").run({"x": x})["y"]
            np.testing.assert_array_equal(y, np.maximum(x, 0))
            with self.assertRaisesRegex(tandem.Error, "does not exist"):
                tandem.convert(src, os.path.join(tmp, "no", "such", "out.tdm"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
