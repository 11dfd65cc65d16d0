"""`codeloop doctor` on real repos with the real embedded model, and with a worker that
really crashes (test-only CODELOOP_FAULT_MODEL_WORKER)."""

import json

import pytest

from codeloop.models.diagnose import built_features, cpu_flags, missing_cpu_features

from tests.conftest import make_repo, run_cli


def test_features_a_build_uses_that_the_cpu_lacks():
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 1 | AMX_INT8 = 1 | AVX_VNNI = 0 | OPENMP = 1 |"
    assert {"AVX2", "AVX512", "AMX_INT8", "OPENMP"} <= built_features(info) and "AVX_VNNI" not in built_features(info)
    assert missing_cpu_features(info, {"pni", "avx", "avx2", "f16c", "fma"}) == ["AMX_INT8", "AVX512"]
    assert missing_cpu_features(info, None) == []  # not Linux: nothing to compare with


def test_cpu_flags_come_from_cpuinfo(tmp_path):
    fake = tmp_path / "cpuinfo"
    fake.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2\n")
    assert cpu_flags(fake) == {"fpu", "sse2", "avx", "avx2"}
    assert cpu_flags(tmp_path / "missing") is None


@pytest.mark.model
def test_doctor_reports_the_build_the_model_and_git(tmp_path):
    import llama_cpp

    repo = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    (repo / "m.py").write_text("x = 2\n")
    proc = run_cli("doctor", str(repo), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["status"] == "ok" and report["problems"] == []
    assert report["llama_cpp"]["llama_cpp_version"] == llama_cpp.__version__
    assert report["llama_cpp"]["gpu_offload"] is False and "AVX" in report["llama_cpp"]["system_info"]
    (embedded,) = report["models"]
    assert embedded["loads"] and embedded["n_gpu_layers"] == 0 and embedded["context_limit"] >= 2048
    assert embedded["prompt_tokens_per_second"] > 0 and embedded["decode_tokens_per_second"] > 0
    assert report["project"]["changed_files"] == 1 and report["project"]["branch"] == "main"
    text = run_cli("doctor", str(repo))
    assert text.returncode == 0 and "decode" in text.stdout and "no problems found" in text.stdout


@pytest.mark.model
def test_doctor_reports_a_crashing_model_and_a_bad_file_one_line_each(tmp_path):
    repo = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    bogus = tmp_path / "bogus.gguf"
    bogus.write_text("no weights here\n")
    proc = run_cli("doctor", str(repo), "--json", "--model", str(bogus), env={"CODELOOP_FAULT_MODEL_WORKER": "SIGILL"})
    assert proc.returncode == 1, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    embedded, given = report["models"]
    assert embedded["loads"] and "SIGILL" in embedded["error"]  # it loads, then dies on the first call
    assert not given["loads"] and "is not a GGUF file" in given["error"]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == len(report["problems"]) == 2 and all(line.startswith("codeloop: model ") for line in lines)


def test_doctor_outside_a_repository_is_a_problem(tmp_path):
    (tmp_path / "plain").mkdir()
    proc = run_cli("doctor", str(tmp_path / "plain"), "--json", env={"CODELOOP_FAULT_MODEL_WORKER": "SIGILL@load"})
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)["problems"]
    assert any("not inside a git work tree" in p for p in problems) and any("SIGILL" in p for p in problems)


@pytest.mark.model
def test_gpu_layers_reach_llama_cpp_from_the_option_and_from_pyproject(tmp_path):
    repo = make_repo(tmp_path / "r", {"m.py": "x = 1\n", "pyproject.toml": "[tool.codeloop]\ngpu-layers = 5\n"})
    configured = json.loads(run_cli("doctor", str(repo), "--json").stdout)["models"][0]
    assert configured["n_gpu_layers"] == 5 and configured["info"]["model_params_n_gpu_layers"] == 5
    given = json.loads(run_cli("doctor", str(repo), "--json", "--gpu-layers", "0").stdout)["models"][0]
    assert given["info"]["model_params_n_gpu_layers"] == 0


def test_a_gpu_layers_setting_that_is_not_a_number_is_exit_2(tmp_path):
    repo = make_repo(tmp_path / "r", {"m.py": "x = 1\n", "test_m.py": "def test_m():\n    assert 0\n", "pyproject.toml": "[tool.codeloop]\ngpu-layers = \"all\"\n"})
    proc = run_cli("fix", str(repo), "--tiers", "cheap")
    assert proc.returncode == 2 and "gpu-layers" in proc.stderr.strip().splitlines()[-1]
    assert run_cli("fix", str(repo), "--gpu-layers", "-2", "--tiers", "cheap").returncode == 2


@pytest.mark.model  # doctor loads the embedded model too
def test_doctor_says_what_test_runs_are_kept_from(tmp_path):
    # One real contained command, started as fix starts its test runs.
    from tests.conftest import mount_namespace_permitted

    repo = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    report = json.loads(run_cli("doctor", str(repo), "--json").stdout)
    if mount_namespace_permitted():
        assert report["containment"] == {"network": "isolated (loopback only)", "files": "read-only outside the run folder"}
    else:
        assert report["containment"]["files"].startswith("writable: the OS forbids mount namespaces")
    opted_out = run_cli("doctor", str(repo), env={"CODELOOP_TEST_NETWORK": "1", "CODELOOP_TEST_FILESYSTEM": "1"})
    assert "network: shared (CODELOOP_TEST_NETWORK=1)" in opted_out.stdout
    assert "files: writable (CODELOOP_TEST_FILESYSTEM=1)" in opted_out.stdout
