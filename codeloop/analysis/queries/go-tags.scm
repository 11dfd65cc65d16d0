; Tag query for Go: definitions and references.

(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name) @definition.type

(call_expression function: (identifier) @reference.call)
(call_expression function: (selector_expression field: (field_identifier) @reference.call))
(composite_literal type: (type_identifier) @reference.class)
(parameter_declaration type: (type_identifier) @reference.type)
(parameter_declaration type: (pointer_type (type_identifier) @reference.type))
(field_declaration type: (type_identifier) @reference.type)
(field_declaration type: (pointer_type (type_identifier) @reference.type))
(qualified_type name: (type_identifier) @reference.type)
(slice_type element: (type_identifier) @reference.type)
(function_declaration result: (type_identifier) @reference.type)
(method_declaration result: (type_identifier) @reference.type)
