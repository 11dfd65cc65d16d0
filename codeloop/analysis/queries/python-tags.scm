; Tag query for Python: what a file defines and which names it uses.
; Capture names follow the tree-sitter tags convention: @name is the identifier,
; @definition.KIND / @reference.KIND the whole construct (its span is the definition's span).

(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))

(call function: (identifier) @name) @reference.call
(call function: (attribute attribute: (identifier) @name)) @reference.call
(decorator (identifier) @name) @reference.call
(decorator (attribute attribute: (identifier) @name)) @reference.call
(class_definition superclasses: (argument_list (identifier) @name)) @reference.class
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @name))) @reference.class
(import_from_statement name: (dotted_name (identifier) @name .)) @reference.import
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @name .))) @reference.import
(type (identifier) @name) @reference.type
