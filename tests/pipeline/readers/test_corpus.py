from cppllm.pipeline.readers.corpus import CPP_EXTENSIONS, embedded_roots, gxx_include_roots


def test_embedded_roots_found_at_run_time():
    roots = embedded_roots()
    assert roots, "no embedded corpus"
    for root in roots:
        assert root.path.is_dir()
        assert root.version
    # g++ is installed by .ci/run, so libstdc++ must be found from the compiler itself
    gxx = gxx_include_roots()
    assert any((p / "vector").is_file() for p in gxx)


def test_cpp_extensions_cover_headers_and_cuda():
    for ext in (".cpp", ".hpp", ".h", ".cu", ".tcc", ".ipp", ".inl"):
        assert ext in CPP_EXTENSIONS
