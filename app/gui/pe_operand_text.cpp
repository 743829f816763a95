// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "pe_operand_text.h"

namespace optiscope::gui {

namespace {
    QString number(double value)
    {
        QString text = QString::number(value, 'f', 2);
        if (text.startsWith(QLatin1Char('-'))) {
            text.replace(0, 1, QChar(0x2212)); // a real minus sign lines up with the digits
        }
        return text;
    }
    const QString kRight = QStringLiteral(" \u2192");
    const QString kDown = QStringLiteral(" \u2193");
    const QString kHeld = QStringLiteral(" \u25a0");
} // namespace

std::vector<QStringList> peOperandTexts(const accelsim::Stepper& stepper)
{
    const std::int64_t rows = stepper.config().rows();
    const std::int64_t cols = stepper.config().cols();
    if (stepper.atEnd() || !stepper.hasOperands() || rows * cols > kMaxOperandPes) {
        return {};
    }
    // SCALE-Sim's mappings (pe_operands.h): OS moves A right and B down; WS holds B and moves A right;
    // IS holds A and moves B right. WS and IS pass partial sums down; OS keeps them in place.
    const accelsim::Dataflow dataflow = stepper.config().dataflow();
    const QString aArrow = dataflow == accelsim::Dataflow::InputStationary ? kHeld : kRight;
    const QString bArrow = dataflow == accelsim::Dataflow::OutputStationary ? kDown
        : dataflow == accelsim::Dataflow::WeightStationary                  ? kHeld
                                                                            : kRight;
    const QString psumArrow = dataflow == accelsim::Dataflow::OutputStationary ? QString() : kDown;
    std::vector<accelsim::PeOperands> operands;
    stepper.peOperands(operands);
    std::vector<QStringList> texts(operands.size());
    for (std::size_t i = 0; i < operands.size(); ++i) {
        const accelsim::PeOperands& pe = operands[i];
        QStringList& lines = texts[i];
        if (pe.hasA) {
            lines << QStringLiteral("a ") + number(pe.a) + aArrow;
        }
        if (pe.hasB) {
            lines << QStringLiteral("b ") + number(pe.b) + bArrow;
        }
        if (pe.hasPsum) {
            lines << QStringLiteral("\u03a3 ") + number(pe.psum) + psumArrow;
        }
    }
    return texts;
}

} // namespace optiscope::gui
