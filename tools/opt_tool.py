"""`opt-tool`: Strata's mlir-opt. Reads `.onnx` or `.mlir`, runs passes, prints IR.

    opt-tool model.onnx                          # the imported onnx dialect
    opt-tool model.onnx -O3 --emit=llvm -o m.ll  # graph passes, loops, LLVM IR
    opt-tool graph.mlir -p convert-onnx-to-loops,canonicalize
    opt-tool model.onnx -O1 --emit=onnx -o out.onnx

Built on xDSL's xDSLOptMain, so `-p a,b{opt=v},c`, `--split-input-file`,
`--verify-diagnostics` and friends behave as in xdsl-opt.
"""

from __future__ import annotations

import argparse
import sys
from io import StringIO
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.printer import Printer
from xdsl.xdsl_opt_main import xDSLOptMain

from compiler.context import StrataContext, make_context
from dialects.errors import StrataError
from compiler.pass_registry import strata_passes

EMITS = ("mlir", "onnx", "llvm", "triton")


def _parse_shapes(specs: list[str]) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    for spec in specs:
        name, sep, dims = spec.partition("=")
        if not sep:
            raise SystemExit(f"opt-tool: --input-shape expects NAME=D0,D1,..., got '{spec}'")
        try:
            shapes[name] = [int(d) for d in dims.split(",") if d.strip()] if dims else []
        except ValueError:
            raise SystemExit(f"opt-tool: --input-shape {spec}: dims must be integers") from None
    return shapes


class OptTool(xDSLOptMain):
    ctx: StrataContext

    def __init__(self, args=None):
        super().__init__(
            description="Strata opt-tool: run Strata's and xDSL's passes on ONNX models or MLIR files "
            "and print the result (MLIR, ONNX, LLVM IR or Triton kernels).",
            args=args,
        )

    def register_all_dialects(self):
        from xdsl.universe import Universe

        # A StrataContext (it carries the weight table) with Strata's dialects loaded and
        # every other xDSL dialect registered, so any MLIR xDSL knows still parses.
        self.ctx = make_context()
        loaded = {d.name for d in self.ctx.loaded_dialects}
        for name, factory in Universe.get_multiverse().all_dialects.items():
            if name not in loaded:
                self.ctx.register_dialect(name, factory)

    def register_all_frontends(self):
        super().register_all_frontends()

        def parse_onnx(io: IO[bytes]) -> ModuleOp:
            from compiler.onnx_import import import_model

            return import_model(io.read(), self.ctx.weights, _parse_shapes(self.args.input_shape))

        def parse_onnx_text(io: IO[bytes]) -> ModuleOp:
            import onnx.parser

            from compiler.onnx_import import import_model

            try:
                model = onnx.parser.parse_model(io.read().decode("utf-8"))
            except Exception as e:
                raise StrataError(f"cannot parse ONNX text: {e}") from None
            return import_model(model, self.ctx.weights, _parse_shapes(self.args.input_shape))

        self.available_frontends["onnx"] = parse_onnx
        # ONNX's textual syntax (onnx.parser), handy for lit tests.
        self.available_frontends["onnxtxt"] = parse_onnx_text

    def register_all_passes(self):
        super().register_all_passes()
        for name, factory in strata_passes().items():
            self.register_pass(name, factory)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser):
        super().register_all_arguments(arg_parser)
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter
        arg_parser.epilog = __doc__.split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
        for level in range(4):
            arg_parser.add_argument(
                f"-O{level}",
                dest="opt_level",
                action="store_const",
                const=level,
                help=f"run the -O{level} graph pipeline before -p passes" + (" (nothing)" if level == 0 else ""),
            )
        arg_parser.add_argument(
            "--emit",
            choices=EMITS,
            default="mlir",
            help="output: MLIR text at the current level (default), an ONNX model (needs -o), "
            "LLVM IR (from the graph level: fuse-kernels, convert-onnx-to-loops, math-polynomial-approximation, dedupe-kernels "
            "and plan-memory first, as compile() does), or the Triton kernels of the GPU path "
            "(Python source; needs no GPU and no triton install)",
        )
        arg_parser.add_argument(
            "--input-shape",
            action="append",
            default=[],
            metavar="NAME=D0,D1,...",
            help="bind a graph input's symbolic dims when reading .onnx (repeatable)",
        )
        arg_parser.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
        arg_parser.add_argument("--timing", action="store_true", help="print each pass's wall time to stderr")
        arg_parser.add_argument(
            "--disable-pass",
            action="append",
            default=[],
            metavar="NAME[,NAME...]",
            help="leave this pass out of the -O pipeline (repeatable, or comma-separated)",
        )
        arg_parser.add_argument(
            "--max-iterations",
            type=int,
            default=None,
            metavar="N",
            help="run the -O pipeline at most N times while it still changes the module (default 4)",
        )
        arg_parser.add_argument(
            "--num-threads",
            type=int,
            default=1,
            metavar="N",
            help="with --emit=llvm: translate for N threads as compile(num_threads=N) does (N > 1: every "
            "scf.parallel loop large enough becomes a task run on the model's thread pool; default 1)",
        )
        arg_parser.add_argument(
            "--stats",
            action="store_true",
            help="print per-pass time and node counts, and node counts by op type before and after, to stderr",
        )

    def setup_pipeline(self):
        from compiler.pipelines import DEFAULT_MAX_ITERATIONS, GraphPipeline, graph_passes

        disabled = [n.strip() for spec in self.args.disable_pass for n in spec.split(",") if n.strip()]
        if disabled and self.args.opt_level is None:
            raise StrataError("--disable-pass applies to the -O pipeline; give -O1, -O2 or -O3")
        if self.args.emit == "triton" and self.args.opt_level is not None:
            from compiler.compile_cuda import cuda_disabled_passes

            disabled = cuda_disabled_passes(self.args.opt_level, disabled)  # the GPU path's -O level
        level_passes = graph_passes(self.args.opt_level, disabled) if self.args.opt_level is not None else []
        user = PassPipeline.parse_spec(self.available_passes, self.args.passes)
        max_iterations = self.args.max_iterations or DEFAULT_MAX_ITERATIONS
        if self.args.max_iterations is not None and self.args.max_iterations < 1:
            raise StrataError(f"--max-iterations must be at least 1, got {self.args.max_iterations}")

        def callback(previous: ModulePass | None, module: ModuleOp, nxt: ModulePass | None) -> None:
            if previous is not None:
                if not self.args.disable_verify:
                    module.verify()
                if self.args.timing:
                    print(f"[timing] {previous.name}: {pipeline.last_seconds:.4f} s", file=sys.stderr)
                if self.args.print_ir_after_all or (self.args.print_between_passes and nxt is not None):
                    print(f"// -----// IR after {previous.name} //----- //", file=sys.stdout)
                    Printer(stream=sys.stdout).print_op(module)
                    print("\n", file=sys.stdout)

        # The -O passes run to a fixed point, then the -p passes once.
        pipeline = GraphPipeline(level_passes, callback, max_iterations, tail=user.passes)
        self.pipeline = pipeline  # type: ignore[assignment]

    def apply_passes(self, prog: ModuleOp):
        # Verify what was read before any pass runs (xDSL's driver only verifies between
        # passes), so an invalid input is reported instead of being printed or lowered.
        if not self.args.disable_verify:
            prog.verify()
        super().apply_passes(prog)
        if self.args.stats:
            from compiler.pass_stats import format_stats

            print(format_stats(self.pipeline.stats), file=sys.stderr)  # type: ignore[attr-defined]
            self._print_report()

    def _print_report(self) -> None:
        """What lowering passes reported (kernels, fused ops, arena bytes, fusion log)."""
        report = self.ctx.report
        if not report:
            return
        print("\n=== lowering ===", file=sys.stderr)
        for key, value in report.items():
            if isinstance(value, list):
                print(f"{key}: {len(value)} entries", file=sys.stderr)
                for line in value:
                    print(f"  {line}", file=sys.stderr)
            else:
                print(f"{key}: {value}", file=sys.stderr)

    def output_resulting_program(self, prog: ModuleOp) -> str:
        emit = self.args.emit
        if emit == "mlir":
            return super().output_resulting_program(prog)
        if emit == "onnx":
            from compiler.onnx_export import export_model

            if self.args.output_file is None:
                raise SystemExit("opt-tool: --emit=onnx writes a binary model; give -o FILE")
            model = export_model(prog, self.ctx.weights)
            with open(self.args.output_file, "wb") as f:
                f.write(model.SerializeToString())
            return ""
        if emit == "triton":
            from compiler.compile_cuda import cuda_fusion_pass
            from lowering.to_triton import generate

            if not any(op.name == "strata.FusedKernel" for op in prog.walk()):
                cuda_fusion_pass().apply(self.ctx, prog)  # as compile(target="cuda")
            return generate(prog, self.ctx.weights).module_source()
        from compiler.driver import lower_to_loops
        from lowering.loops_to_llvm import to_llvm_ir

        if not any(op.name == "func.func" and "strata.entry" in op.attributes for op in prog.ops):
            lower_to_loops(prog, self.ctx, self.args.opt_level if self.args.opt_level is not None else 3)
            if self.args.stats:
                self._print_report()
        return to_llvm_ir(prog, parallel=self.args.num_threads > 1)

    def prepare_output(self):
        if self.args.emit == "onnx":
            return StringIO()
        return super().prepare_output()


def main(argv: list[str] | None = None) -> int:
    try:
        OptTool(argv).run()
    except StrataError as e:
        print(f"opt-tool: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
