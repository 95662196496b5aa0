/**
 * What the call nodes' editors (plivo play, speak, call, make call, conference) share: the checks of the settings every call
 * node has, their labels, typed inputs (a fixed value, or msg/flow/global/env/JSONata read at each
 * message), the Action menu, and trimming on save. Node-RED serves this from the package's
 * resources/ folder and runs a node's own script only once it has loaded; both nodes load
 * it, so it defines itself once.
 */
(function () {
    if (window.PlivoCallNodeEditor) {
        return;
    }
    var CALL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

    /** Typed-input types read at each message; any other type is a fixed value (blank: from msg.payload). */
    var SOURCES = ['msg', 'flow', 'global', 'env', 'jsonata'];

    function isSource(type) {
        return SOURCES.indexOf(type) !== -1;
    }

    function blankOr(test) {
        return function (value) {
            var text = (value === undefined || value === null) ? '' : String(value).trim();
            return text === '' || test.call(this, text);
        };
    }

    function oneOf(values) {
        return function (value) {
            return values.indexOf(value) !== -1;
        };
    }

    var isFlag = oneOf(['true', 'false']);

    /** A setting's current type: the open dialog's, else the saved one. */
    function typeOf(node, field) {
        return $('#node-input-' + field + 'Type').val() || node[field + 'Type'];
    }

    /** A setting's current value: the open dialog's, else the saved one. */
    function valueOf(node, field) {
        var input = $('#node-input-' + field);
        return String((input.length ? input.val() : node[field]) || '').trim();
    }

    /** A fixed value must pass `test` (or be blank); a typed source is checked as Node-RED checks its own. */
    function settingValidator(field, test) {
        var fixed = blankOr(test);
        var typed = RED.validators.typedInput(field + 'Type');
        return function (value, opt) {
            return isSource(typeOf(this, field)) ? typed.call(this, value, opt) : fixed.call(this, value);
        };
    }

    var HTTP_URL = /^https?:\/\/[^\s\/?#]+\S*$/;

    /**
     * Validators for a dialog of Plivo's parameters (plivo call, make call, conference): a field in `urls` is an
     * http(s) URL or names a plivo webhook node that is still there; one in `choices` is one of its values; one in
     * `tests` passes its test; any other, anything. Returns field -> its validator.
     */
    function parameterValidators(urls, choices, tests) {
        return function (field) {
            var own = urls.indexOf(field) !== -1 ? function (v) { return HTTP_URL.test(v); }
                : choices[field] ? function (v) { return choices[field].indexOf(v) !== -1; } : tests[field];
            var check = settingValidator(field, own || function () { return true; });
            return function (value, opt) {
                if (typeOf(this, field) === 'plivo-webhook') {
                    var target = RED.nodes.node(value);
                    return !!target && target.type === 'plivo-webhook';
                }
                return check.call(this, value, opt);
            };
        };
    }

    /**
     * The checks of the settings every call node has. The nodes list their defaults inline
     * (the flow library's scorecard reads them there) and take these.
     */
    var validators = {
        action: function (actions) { return blankOr(oneOf(actions)); },
        callUuid: settingValidator('callUuid', function (v) { return CALL_UUID.test(v); }),
        legs: settingValidator('legs', oneOf(['aleg', 'bleg', 'both'])),
        loop: settingValidator('loop', isFlag),
        mix: settingValidator('mix', isFlag),
        priority: blankOr(oneOf(['high', 'normal', 'low'])),
        maxWait: blankOr(function (v) { var n = Number(v); return isFinite(n) && n > 0 && n <= 86400; })
    };

    /** The palette's name for the node type (`this` is its definition). */
    function paletteLabel() {
        return this._(this.type + '.paletteLabel');
    }

    /** The node's label: its name, else "stop ..." for a stop, else what `describe` says, else the type's default. */
    function label(describe) {
        return function () {
            if (this.name) return this.name;
            if (this.action === 'stop') return this._(this.type + '.label.stop');
            return describe.call(this) || this._(this.type + '.label.default');
        };
    }

    function labelStyle() {
        return this.name ? 'node_label_italic' : '';
    }

    /** The answer on the first output; errors on the second, when the node has one. */
    function outputLabels(index) {
        return this._(this.type + (index === 0 ? '.label.outputOk' : '.label.outputError'));
    }

    /** A fixed value chosen from a list whose first entry, blank, takes it from the message (`blankLabel`). */
    function choices(node, options, blankLabel) {
        return {
            value: 'fixed',
            label: node._(node.type + '.option.fixed'),
            icon: 'fa fa-list-ul',
            options: [{ value: '', label: blankLabel || node._(node.type + '.option.fromMessage') }].concat(options)
        };
    }

    /** Legs, loop and mix as every call node offers them; `own` adds the node's fields (field: fixed type). */
    function fixedTypes(node, own) {
        var flags = [
            { value: 'true', label: node._(node.type + '.option.true') },
            { value: 'false', label: node._(node.type + '.option.false') }
        ];
        return $.extend({ callUuid: 'str' }, own, {
            legs: choices(node, [
                { value: 'aleg', label: node._(node.type + '.option.aleg') },
                { value: 'bleg', label: node._(node.type + '.option.bleg') },
                { value: 'both', label: node._(node.type + '.option.both') }
            ]),
            loop: choices(node, flags),
            mix: choices(node, flags)
        });
    }

    /**
     * Makes each field a typed input: its fixed type first, then `extra[field]` (more types of
     * its own, like a plivo webhook node for a URL), then the sources read at each message.
     */
    function prepareTypedInputs(types, extra) {
        Object.keys(types).forEach(function (field) {
            var fixed = types[field];
            var fixedName = typeof fixed === 'string' ? fixed : fixed.value;
            var own = (extra && extra[field]) || [];
            var ownNames = own.map(function (type) { return type.value; });
            var typeField = $('#node-input-' + field + 'Type');
            // Flows saved before typed inputs have no type: their values are fixed ones.
            if (!isSource(typeField.val()) && ownNames.indexOf(typeField.val()) === -1) typeField.val(fixedName);
            var input = $('#node-input-' + field);
            var placeholder = input.attr('placeholder') || '';
            input.typedInput({ default: fixedName, typeField: typeField, types: [fixed].concat(own, SOURCES) });
            // "from msg.payload..." describes a blank fixed value only; the typed input shows its own text box.
            var shown = input.next('.red-ui-typedInput-container').find('input.red-ui-typedInput-input');
            input.on('change', function () {
                shown.attr('placeholder', isSource(input.typedInput('type')) ? '' : placeholder);
            }).trigger('change');
        });
    }

    /** The type menu entry (named `label`) that names a deployed plivo webhook node, as a list of one; none when the flows have none. */
    function webhookTypes(label) {
        var webhooks = [];
        RED.nodes.eachNode(function (other) {
            if (other.type === 'plivo-webhook') webhooks.push({ value: other.id, label: other.name || other.url || other.id });
        });
        return webhooks.length === 0 ? [] : [{ value: 'plivo-webhook', label: label, icon: 'fa fa-sign-in', options: webhooks }];
    }

    /**
     * The Operation menu: only the chosen operation's rows (class `rowClass`, named by data-field) show, and every
     * one for "from msg.payload.operation"; `also(operation)` shows or hides the node's other rows.
     */
    function prepareOperation(fields, rowClass, also) {
        $('#node-input-operation').on('change', function () {
            var operation = $(this).val();
            $('.' + rowClass).each(function () {
                $(this).toggle(operation === 'msg' || fields[operation].indexOf($(this).attr('data-field')) !== -1);
            });
            also(operation);
        }).trigger('change');
    }

    /** The Action menu; rows marked plivo-hidden-on-stop are not needed to stop. */
    function prepareAction(node, defaultAction) {
        $('#node-input-action').val(node.action === undefined ? defaultAction : node.action);
        $('#node-input-action').on('change', function () {
            $('.plivo-hidden-on-stop').toggle($(this).val() !== 'stop');
        }).trigger('change');
    }

    /** On save: the output count, and the typed text fields without stray spaces. */
    function saveCallNode(node, fields) {
        node.outputs = $('#node-input-errorOutput').prop('checked') ? 2 : 1;
        fields.concat(['callUuid', 'legs', 'loop', 'mix', 'maxWait']).forEach(function (field) {
            var input = $('#node-input-' + field);
            if (input.length) input.val(input.val().trim());
        });
    }

    window.PlivoCallNodeEditor = {
        isSource: isSource,
        typeOf: typeOf,
        valueOf: valueOf,
        settingValidator: settingValidator,
        parameterValidators: parameterValidators,
        validators: validators,
        paletteLabel: paletteLabel,
        label: label,
        labelStyle: labelStyle,
        outputLabels: outputLabels,
        choices: choices,
        fixedTypes: fixedTypes,
        prepareTypedInputs: prepareTypedInputs,
        prepareAction: prepareAction,
        webhookTypes: webhookTypes,
        prepareOperation: prepareOperation,
        saveCallNode: saveCallNode
    };
})();
