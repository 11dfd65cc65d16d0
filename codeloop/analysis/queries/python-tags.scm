; Tag query for Python: what a file defines and which names it uses.
; Definitions follow the tree-sitter tags convention: @name is the identifier and
; @definition.KIND the whole construct (its span is the definition's span). A reference
; captures the identifier itself as @reference.KIND: one capture per use lets the index
; read them with QueryCursor.captures(), not a dict per match (the hot loop on big repos).

(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))

(call function: (identifier) @reference.call)
(call function: (attribute attribute: (identifier) @reference.call))
(decorator (identifier) @reference.call)
(decorator (attribute attribute: (identifier) @reference.call))
(class_definition superclasses: (argument_list (identifier) @reference.class))
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @reference.class)))
(import_from_statement name: (dotted_name (identifier) @reference.import .))
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @reference.import .)))
(type (identifier) @reference.type)
