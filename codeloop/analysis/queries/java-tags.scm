; Tag query for Java: definitions and references.

(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(method_declaration name: (identifier) @name) @definition.method

(method_invocation name: (identifier) @name) @reference.call
(object_creation_expression type: (type_identifier) @name) @reference.class
(superclass (type_identifier) @name) @reference.class
(super_interfaces (type_list (type_identifier) @name)) @reference.implementation
(field_declaration type: (type_identifier) @name) @reference.type
(formal_parameter type: (type_identifier) @name) @reference.type
(local_variable_declaration type: (type_identifier) @name) @reference.type
(method_declaration type: (type_identifier) @name) @reference.type
(import_declaration (scoped_identifier name: (identifier) @name)) @reference.import
