"""codeloop-java: Java language support and extract-method for codeloop."""
